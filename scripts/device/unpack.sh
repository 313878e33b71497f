# Sourced on the GPU machine from the repo root: puts node on PATH and unpacks node_modules + dist from .carry/.
mkdir -p /tmp/relax-node && xz -dc .carry/node.xz > /tmp/relax-node/node && chmod +x /tmp/relax-node/node
export PATH=/tmp/relax-node:$PATH
tar -xJf .carry/nm.tar.xz
