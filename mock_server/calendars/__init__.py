"""The domain, without web imports: calendars, users and sessions in memory, list semantics,
compact records, and the mock's answers to the contract's open questions."""
