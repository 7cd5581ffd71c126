"""Practice 2, stack evaluation: build candidate stacks from config, train, evaluate, select."""
