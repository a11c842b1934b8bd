#include "expr/checker.h"

#include <gtest/gtest.h>
