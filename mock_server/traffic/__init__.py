"""What happens to requests on their way through a mock: the faults injected into them, and
the journal that records them."""
