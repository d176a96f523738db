"""Controllers (a component layer beside scheduler, kubelet, ...): level-triggered control
loops that talk to the cluster only through the API (:mod:`kybernetes.client`)."""
