# Functions for hmoe's libraries and tools, on top of MLIR's AddMLIR.
#
# add_mlir_library() would install into MLIR's own export set (MLIRTargets);
# hmoe's libraries go into HMoETargets instead, so that an installed hmoe is
# found with find_package(HMoE) beside (not inside) MLIR.

# add_hmoe_library(name sources... [DEPENDS ...] [LINK_COMPONENTS ...]
#                  [LINK_LIBS ...] [ADDITIONAL_HEADER_DIRS ...])
# A static library HMoE<name> (the name is given in full), built like an MLIR
# library and exported as part of HMoETargets.
function(add_hmoe_library name)
  add_mlir_library(${name} ${ARGN} DISABLE_INSTALL)
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${HMOE_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${HMOE_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS ${name}
    EXPORT HMoETargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT hmoe-libraries)
  set_property(GLOBAL APPEND PROPERTY HMOE_EXPORTS ${name})
endfunction()

# add_hmoe_tool(name sources...): an executable installed into bin/ and
# exported, so that a downstream project can run it from its tests.
function(add_hmoe_tool name)
  add_llvm_executable(${name} ${ARGN})
  llvm_update_compile_flags(${name})
  hmoe_set_install_rpath(${name})
  install(TARGETS ${name}
    EXPORT HMoETargets
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT hmoe-tools)
  set_property(GLOBAL APPEND PROPERTY HMOE_EXPORTS ${name})
endfunction()

# Installed binaries find libMLIR.so/libLLVM.so where the MLIR they were built
# against has them (not on the default search path for Debian's LLVM), and
# hmoe's own shared libraries beside them.
function(hmoe_set_install_rpath name)
  set_target_properties(${name} PROPERTIES
    INSTALL_RPATH "\$ORIGIN/../${CMAKE_INSTALL_LIBDIR};${LLVM_LIBRARY_DIR}")
endfunction()
