// OpenCC's C API (opencc_open / opencc_convert_utf8), from Debian's libopencc-dev.
#include <opencc/opencc.h>
