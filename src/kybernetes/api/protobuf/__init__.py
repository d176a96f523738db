"""Kubernetes protobuf wire format (``application/vnd.kubernetes.protobuf``) for built-in kinds."""

from kybernetes.api.protobuf.codec import (
    CONTENT_TYPE,
    MAGIC,
    ProtobufDecodeError,
    ProtobufEncodeError,
    ProtobufUnknownKindError,
    decode,
    decode_object,
    encode,
    encode_object,
    is_protobuf_content_type,
    message_name,
    supports,
)

__all__ = [
    "CONTENT_TYPE",
    "MAGIC",
    "ProtobufDecodeError",
    "ProtobufEncodeError",
    "ProtobufUnknownKindError",
    "decode",
    "decode_object",
    "encode",
    "encode_object",
    "is_protobuf_content_type",
    "message_name",
    "supports",
]
