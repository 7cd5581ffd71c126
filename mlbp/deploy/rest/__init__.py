"""The REST server: FastAPI app, protocols (MLflow, Open Inference V2), auth, metrics, variants."""
