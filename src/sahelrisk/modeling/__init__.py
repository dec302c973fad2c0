"""From the feature panel to a registered model: estimators (the boosted-trees and logistic
members, the baselines, their blend), rolling-origin folds, metrics, the training spec, training,
promotion, MLflow tracking and the backtest reports."""
