"""The sale as an event stream: outbox messages published to RabbitMQ with confirms."""
