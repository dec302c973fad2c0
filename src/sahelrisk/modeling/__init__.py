"""From the feature panel to a fitted model: the estimators (the boosted-trees and logistic members,
the baselines, their blend, calibration, the deaths count model), the training spec, the rolling-origin
splitter, the training frame and the fits a registered model is made of."""
