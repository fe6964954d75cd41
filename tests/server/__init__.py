"""``server.py`` as an operator runs it: drain, lost workers, several workers, two nodes behind a
load balancer, the deployment files."""
