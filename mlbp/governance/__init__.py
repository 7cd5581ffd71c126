"""Governance: who may see which columns, masking, and the append-only audit trail."""
