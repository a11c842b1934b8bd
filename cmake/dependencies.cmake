# Third-party dependencies, all from Debian packages (scripts/bootstrap installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
find_library(CCTZ_LIBRARY NAMES cctz REQUIRED)
find_path(CCTZ_INCLUDE_DIR NAMES cctz/time_zone.h REQUIRED)
add_library(cctz::cctz UNKNOWN IMPORTED)
set_target_properties(cctz::cctz PROPERTIES IMPORTED_LOCATION ${CCTZ_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${CCTZ_INCLUDE_DIR})
find_package(GTest REQUIRED)
if(GOVFLOW_BENCH)
  find_package(benchmark REQUIRED)
endif()
