// Removed once the first real source lands here.
namespace govflow::expr {}
