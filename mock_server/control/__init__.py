"""What a test or a person does to a mock from outside the API: the /_mock plane (Flask), the
journal of requests, and injected faults."""
