# edgebert_firmware_model(DIR CONVERTER QUANTIZE): the firmware example's model, the bundled tiny
# fixture classifier at max_seq 32, as DIR/tiny_model_data.c and .h (edgebert-convert pack
# --c-array), fp32, or int8 when QUANTIZE is ON (edgebert-convert quantize: per-channel weights,
# the native kernels). CONVERTER is the edgebert-convert target (host builds; cross builds run it
# through CMAKE_CROSSCOMPILING_EMULATOR) or the path of a build machine's (bare metal).
function(edgebert_firmware_model dir converter quantize)
  set(fixture ${PROJECT_SOURCE_DIR}/tests/fixtures/tiny_bert/classifier)
  set(model ${dir}/tiny_model.ebm)
  set(steps COMMAND ${converter} import --hf ${fixture} -o ${model} --max-seq 32)
  set(what "fp32")
  if(quantize)
    list(APPEND steps COMMAND ${converter} quantize ${model} -o ${dir}/tiny_model_int8.ebm)
    set(model ${dir}/tiny_model_int8.ebm)
    set(what "int8")
  endif()
  add_custom_command(
    OUTPUT ${dir}/tiny_model_data.c ${dir}/tiny_model_data.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    ${steps}
    COMMAND ${converter} pack ${model} --c-array -o ${dir}/tiny_model_data.c --name tiny_model
    DEPENDS ${converter} ${fixture}/model.safetensors
    COMMENT "edgebert-convert pack --c-array: tiny fixture model (${what})")
endfunction()
