#!/bin/sh
# Run by the web pods' init container: writes the page and its machine-readable
# twin into the shared html folder. serving-host is the pod's own hostname,
# which Kubernetes sets to the pod's name.
set -eu
out=/usr/share/nginx/html
serving_host=$(hostname)
cat > "$out/index.html" <<PAGE
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>kubectl-stack: $POD_NAME</title></head>
<body>
<h1>kubectl-stack web tier</h1>
<table>
<tr><th>pod</th><td id="pod-name">$POD_NAME</td></tr>
<tr><th>pod IP</th><td id="pod-ip">$POD_IP</td></tr>
<tr><th>node</th><td id="node-name">$NODE_NAME</td></tr>
<tr><th>serving-host</th><td id="serving-host">$serving_host</td></tr>
</table>
</body>
</html>
PAGE
printf '{"servingHost":"%s","podName":"%s","podIP":"%s","nodeName":"%s"}\n' \
  "$serving_host" "$POD_NAME" "$POD_IP" "$NODE_NAME" > "$out/serving-host.json"
