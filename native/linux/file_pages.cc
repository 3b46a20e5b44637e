// dontNeed(start, length): madvise(MADV_DONTNEED) on one range of this
// process's address space, for src/runtime/file-pages.ts. On a private
// mapping of a file that was never written, this drops the process's page
// table entries only: the pages stay in the kernel's page cache, and a later
// access maps them again with a minor fault. On a range that holds private
// data it would discard that data, so the caller passes only read-only,
// file-backed mappings without anonymous pages (it reads /proc/self/smaps).
// Node exposes no madvise; plain Node-API, like original_dst.cc.
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

namespace {

napi_value Throw(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

// Returns 0, or the errno madvise failed with.
napi_value DontNeed(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    return Throw(env, "dontNeed(start, length): both are required");
  }
  int64_t start, length;
  if (napi_get_value_int64(env, argv[0], &start) != napi_ok ||
      napi_get_value_int64(env, argv[1], &length) != napi_ok) {
    return Throw(env, "dontNeed(start, length): both must be numbers");
  }
  const int64_t page = sysconf(_SC_PAGESIZE);
  if (start <= 0 || length <= 0 || start % page != 0 || length % page != 0) {
    return Throw(env, "dontNeed(start, length): a positive, page-aligned range is required");
  }
  int rc = madvise(reinterpret_cast<void*>(static_cast<uintptr_t>(start)), static_cast<size_t>(length),
                   MADV_DONTNEED);
  napi_value result;
  napi_create_int32(env, rc == 0 ? 0 : errno, &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "dontNeed", NAPI_AUTO_LENGTH, DontNeed, nullptr, &fn);
  napi_set_named_property(env, exports, "dontNeed", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
