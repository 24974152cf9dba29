// What a model's sessions hold in the arena head, and the planner that places it (the converter
// stores the plan in the model).
#ifndef EDGEBERT_INTERNAL_PLAN_H_
#define EDGEBERT_INTERNAL_PLAN_H_

#include "../../src/memory_plan.h"
#include "../../src/session_plan.h"

#endif  // EDGEBERT_INTERNAL_PLAN_H_
