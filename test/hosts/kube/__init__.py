"""The Kubernetes stand-ins of the test hosts (kubeadm, kubectl, etcdctl, the load-balancer
static pods) and their shared cluster state. See test/hosts/README.md."""
