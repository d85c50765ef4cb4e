import requests

print(f"Hello from Python multi-stage! (requests {requests.__version__})")
