"""The outbox: the delivery worker and the send budget every outgoing message goes through."""
