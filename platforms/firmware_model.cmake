# edgebert_firmware_model(DIR CONVERTER KIND): the firmware example's model as
# DIR/firmware_model_data.c and .h (edgebert-convert pack --c-array: firmware_model[],
# firmware_model_size, FIRMWARE_MODEL_ARENA_BYTES). KIND:
#   fp32  the bundled tiny fixture classifier (2 layers, hidden 32, 128 pieces), max_seq 32
#   int8  the same, quantized (per-channel weights: the native kernel sets run it)
#   demo  the demo's shape (scripts/demo.sh): a 6,000-piece vocabulary learned from the bundled
#         novel, 2 layers of 128, 2 heads, intermediate 512, max_seq 64, not pretrained, its
#         classifier fine-tuned for 30 steps on the bundled SST-2 phrases, int8 (1.5 MB)
# CONVERTER is the edgebert-convert target (cross builds run it through
# CMAKE_CROSSCOMPILING_EMULATOR).
function(edgebert_firmware_model dir converter kind)
  set(fixture ${PROJECT_SOURCE_DIR}/tests/fixtures/tiny_bert/classifier)
  set(data ${PROJECT_SOURCE_DIR}/data)
  if(kind STREQUAL "fp32" OR kind STREQUAL "int8")
    set(model ${dir}/firmware_model.ebm)
    set(steps COMMAND ${converter} import --hf ${fixture} -o ${model} --max-seq 32)
    set(inputs ${fixture}/model.safetensors)
  elseif(kind STREQUAL "demo")
    set(model ${dir}/firmware_model.ebm)
    set(steps
      COMMAND ${converter} vocab --corpus ${data}/austen_pride_and_prejudice.txt --size 6000
              -o ${dir}/vocab.txt -q
      COMMAND ${converter} pretrain --corpus ${data}/austen_pride_and_prejudice.txt
              --vocab ${dir}/vocab.txt -o ${dir}/encoder.ebm --layers 2 --hidden 128 --heads 2
              --intermediate 512 --max-seq 64 --steps 0 -q
      COMMAND ${converter} finetune --init ${dir}/encoder.ebm --train ${data}/sst2_train_8k.tsv
              -o ${model} --max-seq 64 --batch 16 --steps 30 --lr 1e-3 --threads 1 -q)
    set(inputs ${data}/austen_pride_and_prejudice.txt ${data}/sst2_train_8k.tsv)
  else()
    message(FATAL_ERROR "edgebert_firmware_model: kind ${kind} (fp32, int8, demo)")
  endif()
  if(NOT kind STREQUAL "fp32")
    list(APPEND steps COMMAND ${converter} quantize ${model} -o ${dir}/firmware_model_int8.ebm)
    set(model ${dir}/firmware_model_int8.ebm)
  endif()
  add_custom_command(
    OUTPUT ${dir}/firmware_model_data.c ${dir}/firmware_model_data.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    ${steps}
    COMMAND ${converter} pack ${model} --c-array -o ${dir}/firmware_model_data.c
            --name firmware_model
    DEPENDS ${converter} ${inputs}
    COMMENT "edgebert-convert pack --c-array: the firmware example's model (${kind})")
endfunction()
