// memory.cc — hands freed memory back to the system (see server/idle-memory.ts).
#include <napi.h>
#include <malloc.h>

namespace dynkv {

// trimMemory(): malloc_trim(0), which returns the free pages of every malloc
// arena to the kernel, not only the top of the main heap; true if any went.
Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
}

}  // namespace dynkv
