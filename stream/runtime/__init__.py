"""The imperative shell around the core: Kafka broker, producer, and (next) the Faust worker."""
