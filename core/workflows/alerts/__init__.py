"""Churn-risk alerts: signals and rules, the engine and its job, triage commands and reads,
notifications, and the outcomes of the interventions the alerts trigger."""
