"""The running application: wiring, the runner, logs, metrics, doctor."""
