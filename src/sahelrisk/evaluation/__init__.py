"""How good a model is: the backtest runner over the rolling-origin folds, metrics, area and zone
(route corridor, site) risk scored from the backtest, the ViEWS challenge protocol, and the reports."""
