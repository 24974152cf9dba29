// The C API's enum names (c_api.cc): every value named, names parsed back, unknown names refused.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "edgebert/edgebert.h"

namespace {

TEST_CASE("C API: enum names are stable and parse back") {
  CHECK(std::string(eb_task_name(EB_TASK_ENCODER)) == "encoder");
  CHECK(std::string(eb_task_name(EB_TASK_QUESTION_ANSWERING)) == "question_answering");
  CHECK(std::string(eb_task_name(EB_TASK_MASKED_LM)) == "masked_lm");
  CHECK(std::string(eb_task_name(static_cast<eb_task_kind>(6))) == "unknown");
  // (Values outside the enum's range are not even loadable in C++: UBSan's enum check.)
  CHECK(std::string(eb_problem_type_name(EB_PROBLEM_REGRESSION)) == "regression");
  CHECK(std::string(eb_problem_type_name(static_cast<eb_problem_type>(3))) == "unknown");

  for (int p = EB_PROVIDER_AUTO; p <= EB_PROVIDER_XNNPACK; ++p) {
    eb_provider parsed = EB_PROVIDER_AUTO;
    CHECK(eb_provider_from_name(eb_provider_name(static_cast<eb_provider>(p)), &parsed, nullptr) == EB_OK);
    CHECK(parsed == p);
  }
  for (int a = EB_AGGREGATION_NONE; a <= EB_AGGREGATION_MAX; ++a) {
    eb_aggregation parsed = EB_AGGREGATION_NONE;
    CHECK(eb_aggregation_from_name(eb_aggregation_name(static_cast<eb_aggregation>(a)), &parsed, nullptr) ==
          EB_OK);
    CHECK(parsed == a);
  }
  CHECK(std::string(eb_aggregation_name(EB_AGGREGATION_AVERAGE)) == "average");
  for (int o = EB_OUTPUT_LAST_HIDDEN; o <= EB_OUTPUT_TOKEN_LOGITS; ++o) {
    eb_output parsed = EB_OUTPUT_LAST_HIDDEN;
    CHECK(eb_output_from_name(eb_output_name(static_cast<eb_output>(o)), &parsed, nullptr) == EB_OK);
    CHECK(parsed == o);
  }
  CHECK(std::string(eb_output_name(EB_OUTPUT_TOKEN_LOGITS)) == "token_logits");
}

TEST_CASE("C API: unknown names are refused with the list of names") {
  eb_error error;
  eb_aggregation aggregation = EB_AGGREGATION_FIRST;
  CHECK(eb_aggregation_from_name("Simple", &aggregation, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(error.message) == "aggregation 'Simple': expected none, simple, first, average or max");
  CHECK(aggregation == EB_AGGREGATION_FIRST);  // untouched
  CHECK(eb_aggregation_from_name(nullptr, &aggregation, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(std::strstr(error.message, "(null)") != nullptr);
  eb_provider provider = EB_PROVIDER_NATIVE;
  CHECK(eb_provider_from_name("", &provider, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(error.message) == "provider '': expected auto, native or xnnpack");
  CHECK(eb_provider_from_name("auto", nullptr, &error) == EB_ERROR_INVALID_ARGUMENT);
}

}  // namespace
