"""Daily and monthly forecasts with prediction intervals, and their honest evaluation.

- ``daily.DailyBookingsForecaster``: SARIMAX (weekly seasonality, Argentine holidays as
  regressors) or ETS on ``log1p`` of daily counts.
- ``monthly.MonthlyForecaster``: damped-trend ETS on ``log1p`` of a monthly MRR/GMV series.
- ``backtest``: the seasonal naive baseline every model is compared with, and the
  rolling-origin backtests scoring a model and the baseline with ``metrics`` (MASE, sMAPE).
- ``series``: the input checks and output shape both forecasters share.

Pure functions of pandas Series: no database, no Streamlit.
"""
