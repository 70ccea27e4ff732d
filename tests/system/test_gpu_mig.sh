#!/usr/bin/env bash
# MIG through the real daemons and a stand-in NVML (tests/unit/fake_nvml.c with
# FAKE_NVML_MIG=1: 4 GPUs in MIG mode, two 3g.40gb instances each): the agent reports the 8
# instances as the node's GPUs, of model "H100-3g.40gb", as the config declares
# them; a job asks for that model and its ranks get instances, by UUID, in
# CUDA_VISIBLE_DEVICES; a
# share of one instance works the same way.
. "$(dirname "$0")/lib/cluster.sh"
[ -f "$GT_BIN/libfake_nvml.so" ] || { echo "SKIP: no stand-in NVML (a build without tests)"; exit 77; }
cluster_init mig
NODE_CPUS=4
write_config 1
sed -i 's/gpus: 4, gpu_model: fake,/gpus: 8, gpu_model: H100-3g.40gb, gpu_memory_gb: 39,/' "$T/cluster.yaml"
start_ctld || exit 1
mkdir -p "$T/out" && chmod 755 "$T" && chmod 777 "$T/out"
export GANTRY_NVML_LIB=$GT_BIN/libfake_nvml.so FAKE_NVML_MIG=1
AGENT_EXTRA=(--mps-control none)
start_agent n1
unset GANTRY_NVML_LIB FAKE_NVML_MIG
check node-up wait_until 10 node_state_is n1 up
check logged "grep -q 'MIG: each instance is a GPU of model H100-3g.40gb' '$T/agent-n1.log'"
node_field() { api GET /v1/nodes/n1 | cut -d' ' -f2- | jq_py "$1"; }
check node-mig "[ \"\$(node_field 'd[\"gpus\"], d[\"gpu_model\"], d[\"gpus_off\"]')\" = '8 H100-3g.40gb []' ]"
two=$(submit '{"gpus":2,"cpus":1,"gpu_model":"H100-3g.40gb","command":["sh","-c","echo $CUDA_VISIBLE_DEVICES >>'"$T"'/out/two; sleep 300"]}')
# Two ranks, one instance each (a rank per GPU, as torchrun runs them).
check two-runs wait_until 10 "[ \"\$(wc -l <'$T/out/two')\" = 2 ]"
check by-uuid "[ \"\$(grep -cxE 'MIG-fake-[0-3]-[02]' '$T/out/two')\" = 2 ] && [ \"\$(sort -u '$T/out/two' | wc -l)\" = 2 ]"
half=$(submit '{"kind":"tasks","gpus":0.5,"cpus":1,"command":["sh","-c","echo $CUDA_VISIBLE_DEVICES $GANTRY_GPU_MILLI $GANTRY_GPU_SHARING >'"$T"'/out/half"]}')
check share-of-instance wait_until 10 "grep -qxE 'MIG-fake-[0-3]-[02] 500 accounted' '$T/out/half'"
check half-done wait_until 10 job_state_is "$half" completed
G cancel "$two" >/dev/null
stop_all
finish
