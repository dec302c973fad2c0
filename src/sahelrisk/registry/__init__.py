"""Where models live: MLflow tracking (the only module that imports mlflow), promotion on equal
terms, and a registered model loaded back with its identity."""
