// addon.cc — the N-API face of the engine: argument checks, Buffers in and
// out, EngineError -> JS Error with .code, and background events delivered
// to JS through a thread-safe function.
#include <napi.h>

#include <set>

#include "engine.h"
#include "hashing.h"

namespace dynkv {
namespace {

Napi::Error toJs(Napi::Env env, const EngineError& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  err.Set("code", Napi::String::New(env, e.code));
  return err;
}

const uint8_t* bufferArg(const Napi::CallbackInfo& info, size_t i, uint32_t* len) {
  if (!info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), "expected a Buffer");
  auto b = info[i].As<Napi::Buffer<uint8_t>>();
  if (b.Length() > UINT32_MAX) throw Napi::RangeError::New(info.Env(), "buffer too large");
  *len = uint32_t(b.Length());
  return b.Data();
}

struct Event {
  std::string kind;
  double value;
  std::string code, message;
  std::shared_ptr<bool> closed;  // set once JS closed the engine: nobody listens
};

class EngineWrap;
std::set<EngineWrap*> liveEngines;

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Engine",
                       {InstanceMethod("get", &EngineWrap::Get),
                        InstanceMethod("getInto", &EngineWrap::GetInto),
                        InstanceMethod("prefetch", &EngineWrap::Prefetch), InstanceMethod("info", &EngineWrap::Info),
                        InstanceMethod("idle", &EngineWrap::Idle), InstanceMethod("touch", &EngineWrap::Touch),
                        InstanceMethod("put", &EngineWrap::Put), InstanceMethod("del", &EngineWrap::Del),
                        InstanceMethod("lastSeq", &EngineWrap::LastSeq), InstanceMethod("scan", &EngineWrap::Scan),
                        InstanceMethod("reclaimExpired", &EngineWrap::ReclaimExpired),
                        InstanceMethod("expireIfDue", &EngineWrap::ExpireIfDue),
                        InstanceMethod("stats", &EngineWrap::Stats), InstanceMethod("compact", &EngineWrap::Compact),
                        InstanceMethod("notifyAt", &EngineWrap::NotifyAt), InstanceMethod("scrub", &EngineWrap::Scrub),
                        InstanceMethod("setFsync", &EngineWrap::SetFsync), InstanceMethod("ref", &EngineWrap::Ref),
                        InstanceMethod("unref", &EngineWrap::Unref), InstanceMethod("close", &EngineWrap::Close)});
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 8 || !info[0].IsString() || !info[7].IsFunction())
      throw Napi::TypeError::New(env, "Engine(dir, fsync, segmentSize, mergeThreshold, mergeIntervalMs, maxPendingBytes, inlineValueMax, onEvent)");
    EngineOptions opt;
    opt.fsync = FsyncMode(info[1].As<Napi::Number>().Int32Value());
    opt.segmentSize = uint64_t(info[2].As<Napi::Number>().Int64Value());
    opt.mergeThreshold = info[3].As<Napi::Number>().DoubleValue();
    opt.mergeIntervalMs = info[4].As<Napi::Number>().Uint32Value();
    opt.maxPendingBytes = uint64_t(info[5].As<Napi::Number>().Int64Value());
    opt.inlineValueMax = info[6].As<Napi::Number>().Uint32Value();
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[7].As<Napi::Function>(), "dynkv-engine", 0, 1);
    tsfn_.Unref(env);
    Napi::ThreadSafeFunction tsfn = tsfn_;
    std::shared_ptr<bool> closed = closed_;
    EventSink sink = [tsfn, closed](const char* kind, double value, std::string code, std::string message) mutable {
      auto* ev = new Event{kind, value, std::move(code), std::move(message), closed};
      if (tsfn.NonBlockingCall(ev, Deliver) != napi_ok) delete ev;
    };
    try {
      engine_ = std::make_unique<Engine>(info[0].As<Napi::String>().Utf8Value(), opt, sink);
    } catch (const EngineError& e) {
      tsfn_.Release();
      throw toJs(env, e);
    }
    liveEngines.insert(this);
  }

  ~EngineWrap() override { Shutdown(); }

  // Closes quietly: at teardown there is nobody left to tell.
  void Shutdown() {
    liveEngines.erase(this);
    if (!engine_) return;
    try {
      engine_->close();
    } catch (const EngineError& e) {
      std::fprintf(stderr, "dynkv: %s\n", e.what());
    }
    engine_.reset();
    *closed_ = true;
    tsfn_.Release();
  }

 private:
  static void Deliver(Napi::Env env, Napi::Function fn, Event* ev) {
    std::unique_ptr<Event> owned(ev);
    if (env == nullptr || *ev->closed) return;
    try {
      fn.Call({Napi::String::New(env, ev->kind), Napi::Number::New(env, ev->value), Napi::String::New(env, ev->code),
               Napi::String::New(env, ev->message)});
    } catch (const Napi::Error& e) {
      std::fprintf(stderr, "dynkv: engine event %s failed: %s\n", ev->kind.c_str(), e.Message().c_str());
    }
  }

  Engine& engine(Napi::Env env) {
    if (!engine_) throw toJs(env, EngineError("ECLOSED", "engine is closed"));
    return *engine_;
  }

  Napi::Value Get(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    Napi::Value out = env.Null();
    try {
      bool touch = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
      bool cache = !info[2].IsBoolean() || info[2].As<Napi::Boolean>().Value();
      engine(env).get(
          key, len,
          [&](uint32_t n) {
            auto buf = Napi::Buffer<uint8_t>::New(env, n);
            out = buf;
            return buf.Data();
          },
          touch, cache);
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
    return out;
  }

  // prefetch(keys, lens, count): keys end to end in one Buffer, lens a Uint32Array.
  Napi::Value Prefetch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t total;
    const uint8_t* keys = bufferArg(info, 0, &total);
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw Napi::TypeError::New(env, "expected a Uint32Array of key lengths");
    auto lens = info[1].As<Napi::Uint32Array>();
    size_t count = info[2].As<Napi::Number>().Uint32Value();
    if (count > lens.ElementLength()) throw Napi::RangeError::New(env, "count past the end of the lengths");
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += lens[i];
    if (sum > total) throw Napi::RangeError::New(env, "key lengths past the end of the keys");
    engine(env).prefetch(keys, lens.Data(), count);
    return env.Undefined();
  }

  Napi::Value GetInto(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    if (!info[1].IsBuffer()) throw Napi::TypeError::New(env, "expected a Buffer");
    auto target = info[1].As<Napi::Buffer<uint8_t>>();
    size_t offset = info[2].As<Napi::Number>().Uint32Value();
    if (offset > target.Length()) throw Napi::RangeError::New(env, "offset past the end of the buffer");
    bool touch = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
    try {
      return Napi::Number::New(env, double(engine(env).getInto(key, len, target.Data() + offset, target.Length() - offset, touch)));
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
  }

  Napi::Value Idle(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    try {
      return Napi::Number::New(env, double(engine(env).idle(key, len)));
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
  }

  Napi::Value Touch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    try {
      uint32_t idle = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
      return Napi::Boolean::New(env, engine(env).touch(key, len, idle));
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    uint64_t expireAt;
    uint32_t valueLen;
    try {
      if (!engine(env).info(key, len, &expireAt, &valueLen)) return env.Null();
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
    Napi::Array r = Napi::Array::New(env, 2);
    r.Set(uint32_t(0), Napi::Number::New(env, double(expireAt)));
    r.Set(uint32_t(1), Napi::Number::New(env, valueLen));
    return r;
  }

  Napi::Value Put(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t klen, vlen;
    const uint8_t* key = bufferArg(info, 0, &klen);
    const uint8_t* value = bufferArg(info, 1, &vlen);
    double expireAt = info[2].As<Napi::Number>().DoubleValue();
    if (!(expireAt >= 0)) throw Napi::RangeError::New(env, "expireAt must be a positive number of ms");
    try {
      return Napi::Number::New(env, double(engine(env).put(key, klen, value, vlen, uint64_t(expireAt))));
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
  }

  Napi::Value Del(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    try {
      return Napi::Boolean::New(env, engine(env).del(key, len));
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
  }

  Napi::Value LastSeq(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(engine(info.Env()).lastSeq()));
  }

  Napi::Value Scan(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool lossless;
    uint64_t from = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    uint64_t to = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) to = UINT64_MAX;  // 2^64: the end of the ring
    size_t count = info[2].As<Napi::Number>().Uint32Value();
    std::vector<std::string> keys;
    uint64_t next;
    try {
      next = engine(env).scan(from, to, count, keys);
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
    Napi::Array arr = Napi::Array::New(env, keys.size());
    for (size_t i = 0; i < keys.size(); i++)
      arr.Set(uint32_t(i), Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(keys[i].data()), keys[i].size()));
    Napi::Array r = Napi::Array::New(env, 2);
    r.Set(uint32_t(0), Napi::BigInt::New(env, next >= to ? uint64_t(0) : next));
    r.Set(uint32_t(1), arr);
    return r;
  }

  Napi::Value ExpireIfDue(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t len;
    const uint8_t* key = bufferArg(info, 0, &len);
    try {
      return Napi::Boolean::New(env, engine(env).expireIfDue(key, len));
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
  }

  Napi::Value ReclaimExpired(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bool lossless;
    uint64_t from = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    size_t visit = info[1].As<Napi::Number>().Uint32Value();
    bool reclaim = !info[2].IsBoolean() || info[2].As<Napi::Boolean>().Value();
    size_t reclaimed = 0;
    Keydir::TtlSample ttl;
    uint64_t next;
    try {
      next = engine(env).reclaimExpired(from, visit, reclaim, &reclaimed, &ttl);
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
    Napi::Array r = Napi::Array::New(env, 4);
    r.Set(uint32_t(0), Napi::BigInt::New(env, next == UINT64_MAX ? uint64_t(0) : next));
    r.Set(uint32_t(1), Napi::Number::New(env, double(reclaimed)));
    r.Set(uint32_t(2), Napi::Number::New(env, double(ttl.sumMs)));
    r.Set(uint32_t(3), Napi::Number::New(env, double(ttl.count)));
    return r;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EngineStats st = engine(env).stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("keys", double(st.keys));
    o.Set("expiring", double(st.expiring));
    o.Set("liveBytes", double(st.liveBytes));
    o.Set("deadBytes", double(st.deadBytes));
    o.Set("segments", double(st.segments));
    o.Set("pendingBytes", double(st.pendingBytes));
    o.Set("keydirBytes", double(st.keydirBytes));
    o.Set("merges", double(st.merges));
    o.Set("writeError", st.writeError.empty() ? env.Null() : Napi::String::New(env, st.writeError));
    o.Set("fsyncs", double(st.fsyncs));
    o.Set("keydirMoves", double(st.keydirMoves));
    o.Set("merging", Napi::Boolean::New(env, st.merging));
    o.Set("lastMergeFailed", Napi::Boolean::New(env, st.lastMergeFailed));
    o.Set("openedFromHints", double(st.openedFromHints));
    o.Set("openedByScan", double(st.openedByScan));
    return o;
  }

  Napi::Value Compact(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      engine(env).requestCompaction(info[0].As<Napi::Number>().Uint32Value(), info[1].ToBoolean().Value());
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
    return env.Undefined();
  }

  Napi::Value NotifyAt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double seq = info[0].As<Napi::Number>().DoubleValue();
    return Napi::Number::New(env, double(engine(env).notifyAt(uint64_t(seq))));
  }

  // scrub(segment, offset, budget) -> [segment, offset, bytes verified, [[file, offset, length, [keys]]...]]
  Napi::Value Scrub(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t segment = info[0].As<Napi::Number>().Uint32Value();
    uint64_t offset = uint64_t(info[1].As<Napi::Number>().Int64Value());
    uint64_t budget = uint64_t(info[2].As<Napi::Number>().Int64Value());
    std::vector<ScrubFinding> found;
    uint64_t verified;
    try {
      verified = engine(env).scrub(&segment, &offset, budget, found);
    } catch (const EngineError& e) {
      throw toJs(env, e);
    }
    Napi::Array findings = Napi::Array::New(env, found.size());
    for (size_t i = 0; i < found.size(); i++) {
      const ScrubFinding& f = found[i];
      Napi::Array keys = Napi::Array::New(env, f.keys.size());
      for (size_t k = 0; k < f.keys.size(); k++)
        keys.Set(uint32_t(k), Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(f.keys[k].data()), f.keys[k].size()));
      Napi::Array one = Napi::Array::New(env, 4);
      one.Set(uint32_t(0), Napi::String::New(env, f.file));
      one.Set(uint32_t(1), Napi::Number::New(env, double(f.offset)));
      one.Set(uint32_t(2), Napi::Number::New(env, double(f.length)));
      one.Set(uint32_t(3), keys);
      findings.Set(uint32_t(i), one);
    }
    Napi::Array r = Napi::Array::New(env, 4);
    r.Set(uint32_t(0), Napi::Number::New(env, double(segment)));
    r.Set(uint32_t(1), Napi::Number::New(env, double(offset)));
    r.Set(uint32_t(2), Napi::Number::New(env, double(verified)));
    r.Set(uint32_t(3), findings);
    return r;
  }

  Napi::Value SetFsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int mode = info[0].As<Napi::Number>().Int32Value();
    if (mode < 0 || mode > 2) throw Napi::RangeError::New(env, "fsync mode");
    engine(env).setFsync(FsyncMode(mode));
    return env.Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (engine_) tsfn_.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (engine_) tsfn_.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) return env.Undefined();
    liveEngines.erase(this);
    std::unique_ptr<Engine> e = std::move(engine_);
    *closed_ = true;
    try {
      e->close();
    } catch (const EngineError& err) {
      tsfn_.Release();
      throw toJs(env, err);
    }
    tsfn_.Release();
    return env.Undefined();
  }

  std::unique_ptr<Engine> engine_;
  Napi::ThreadSafeFunction tsfn_;
  std::shared_ptr<bool> closed_ = std::make_shared<bool>(false);
};

Napi::Value Repair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "repair(dir)");
  RepairReport r;
  try {
    r = Engine::repair(info[0].As<Napi::String>().Utf8Value());
  } catch (const EngineError& e) {
    throw toJs(env, e);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("segments", double(r.segments));
  o.Set("records", double(r.records));
  Napi::Array dropped = Napi::Array::New(env, r.dropped.size());
  for (size_t i = 0; i < r.dropped.size(); i++) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("file", r.dropped[i].file);
    d.Set("offset", double(r.dropped[i].offset));
    d.Set("length", double(r.dropped[i].length));
    dropped.Set(uint32_t(i), d);
  }
  o.Set("dropped", dropped);
  return o;
}

Napi::Value RingHash(const Napi::CallbackInfo& info) {
  uint32_t len;
  const uint8_t* key = bufferArg(info, 0, &len);
  return Napi::BigInt::New(info.Env(), ringHash(key, len));
}

Napi::Value KeySlotJs(const Napi::CallbackInfo& info) {
  uint32_t len;
  const uint8_t* key = bufferArg(info, 0, &len);
  return Napi::Number::New(info.Env(), keySlot(key, len));
}

void CloseAll(void*) {
  while (!liveEngines.empty()) (*liveEngines.begin())->Shutdown();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineWrap::Define(env));
  exports.Set("repair", Napi::Function::New(env, Repair));
  exports.Set("ringHash", Napi::Function::New(env, RingHash));
  exports.Set("keySlot", Napi::Function::New(env, KeySlotJs));
  exports.Set("maxValueLen", Napi::Number::New(env, kMaxValueLen));
  napi_add_env_cleanup_hook(env, CloseAll, nullptr);
  return exports;
}

}  // namespace
}  // namespace dynkv

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return dynkv::Init(env, exports); }

NODE_API_MODULE(dynkv_engine, InitModule)
