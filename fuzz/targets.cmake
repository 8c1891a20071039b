# The seed folders (in the source tree) each fuzz target starts from, one variable per
# fuzz/fuzz_<name>.c. Read by fuzz/CMakeLists.txt (the bounded fuzz runs, label
# "fuzz") and tests/CMakeLists.txt (the replay of these seeds and of
# tests/data/fuzz-regressions/<name>/ in every build). Real payloads come from
# tests/data; fuzz/corpus holds hand-made seeds where tests/data has none.
set(CB_FUZZ_SEEDS_cmd_parse fuzz/corpus/cmd_parse)
set(CB_FUZZ_SEEDS_config fuzz/corpus/config)
set(CB_FUZZ_SEEDS_request_json fuzz/corpus/request_json)
set(CB_FUZZ_SEEDS_sim_state fuzz/corpus/sim_state)
set(CB_FUZZ_SEEDS_slack_frame tests/data/slack)
set(CB_FUZZ_SEEDS_slack_interactive tests/data/slack)
set(CB_FUZZ_SEEDS_slack_view_submission tests/data/slack)
set(CB_FUZZ_SEEDS_aws_agreement_answer tests/data/aws)
set(CB_FUZZ_SEEDS_aws_support_answer tests/data/aws_support)
set(CB_FUZZ_SEEDS_azure_answer tests/data/azure)
set(CB_FUZZ_SEEDS_azure_token tests/data/azure)
set(CB_FUZZ_SEEDS_aws_sts fuzz/corpus/aws_sts)
set(CB_FUZZ_SEEDS_aws_events tests/data/aws_events)
set(CB_FUZZ_SEEDS_aws_profile fuzz/corpus/aws_profile)
set(CB_FUZZ_SEEDS_aws_container tests/data/aws)

# The seed folders of target name as absolute paths in out_var; a target without an
# entry above stops the configure, so no target runs without seeds.
function(cb_fuzz_seeds name out_var)
  if(NOT DEFINED CB_FUZZ_SEEDS_${name})
    message(FATAL_ERROR "fuzz/fuzz_${name}.c has no seeds: add CB_FUZZ_SEEDS_${name} to "
            "fuzz/targets.cmake")
  endif()
  set(dirs "")
  foreach(d ${CB_FUZZ_SEEDS_${name}})
    list(APPEND dirs ${CMAKE_SOURCE_DIR}/${d})
  endforeach()
  set(${out_var} ${dirs} PARENT_SCOPE)
endfunction()
