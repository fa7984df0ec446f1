// RUN: hmoe-opt --split-input-file --verify-diagnostics --hmoe-verify-gpu-binary %s | FileCheck %s

// PTX that kept a libdevice call unresolved (no toolkit, so no libdevice
// was linked) is an error at the binary, not a module that fails in ptxas.
module attributes {gpu.container_module} {
  // expected-error @+1 {{calls libdevice function '__nv_expf' but libdevice was not linked (no CUDA toolkit was found): pass the pipeline's toolkit= option or set CUDA_HOME}}
  gpu.binary @kernels [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".version 8.0\0A.target sm_80\0A.extern .func  (.param .b32 func_retval0) __nv_expf\0A(\0A\09.param .b32 __nv_expf_param_0\0A)\0A;\0A">]
}

// -----

// A kernel that defines what it calls passes.
// CHECK: gpu.binary @kernels
module attributes {gpu.container_module} {
  gpu.binary @kernels [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".version 8.0\0A.target sm_80\0A.visible .entry k()\0A{\0A\09ret;\0A}\0A">]
}
