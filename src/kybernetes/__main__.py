import sys

from kybernetes.cli.main import main

sys.exit(main())
