"""Practice 3, robust deployment: packaging, the REST server, the batch scorer, smoke tests."""
