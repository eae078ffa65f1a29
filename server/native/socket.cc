// socket.cc — client sockets read and written from C++ on Node's own event
// loop (a uv_poll watcher on the connection's fd), for the RESP server. Each
// readable event is one read(2) and one call into JS with the bytes; replies
// go out with write(2) at once, and what the kernel does not take waits for
// the socket to be writable. This skips Node's stream layer, which costs
// more per request than dynkv's own work (see the README's benchmarks).
//
// Output the kernel does not take is kept without a copy when it is big: a
// reference to the JS Buffer and the offset reached (a reply of 1 MiB
// costs 1 MiB, not 2); a small tail is copied, so that a few bytes do not
// pin a whole reply slab. JS learns the pending byte count from write() and
// is called back (onDrain) when it has all gone out, to resume a client it
// stopped executing while its replies were backed up (connection.ts).
#include <napi.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dynkv {
Napi::Value TrimMemory(const Napi::CallbackInfo& info);  // memory.cc
}

namespace {

constexpr size_t kReadSize = 64 * 1024;
/** Pending output up to this size is copied; bigger output is kept by reference to its Buffer. */
constexpr size_t kCopyMax = 16 * 1024;

/** Output the kernel has not taken yet: a copy, or a reference to a Buffer that holds it. */
struct Pending {
  Napi::ObjectReference buffer;  // empty for a copy
  std::vector<uint8_t> copy;
  const uint8_t* data;
  size_t size;
};

class NativeSocket : public Napi::ObjectWrap<NativeSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSocket",
                       {InstanceMethod("write", &NativeSocket::Write), InstanceMethod("end", &NativeSocket::End),
                        InstanceMethod("destroy", &NativeSocket::Destroy), InstanceMethod("pause", &NativeSocket::Pause),
                        InstanceMethod("resume", &NativeSocket::Resume), InstanceMethod("info", &NativeSocket::Info)});
  }

  // new NativeSocket(fd, onData(buffer), onClose(error | null), onDrain()):
  // takes its own duplicate of fd; the caller's copy may be closed at once.
  // onDrain runs when output that had to wait has all gone out.
  explicit NativeSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsFunction() || !info[2].IsFunction() || !info[3].IsFunction())
      throw Napi::TypeError::New(env, "NativeSocket(fd, onData, onClose, onDrain)");
    fd_ = ::fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0) throw Napi::Error::New(env, std::string("dup: ") + std::strerror(errno));
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0) {
      int err = errno;
      ::close(fd_);
      throw Napi::Error::New(env, std::string("fcntl: ") + std::strerror(err));
    }
    onData_ = Napi::Persistent(info[1].As<Napi::Function>());
    onClose_ = Napi::Persistent(info[2].As<Napi::Function>());
    onDrain_ = Napi::Persistent(info[3].As<Napi::Function>());
    napi_value resource = Napi::Object::New(env);
    napi_value name = Napi::String::New(env, "dynkv-client-socket");
    if (napi_async_init(env, resource, name, &async_) != napi_ok) throw Napi::Error::New(env, "napi_async_init failed");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      ::close(fd_);
      throw Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc));
    }
    Ref();  // alive while the connection is open
    watch();
  }

  ~NativeSocket() override {
    if (async_ != nullptr) napi_async_destroy(Env(), async_);
  }

 private:
  // write(buffer): the bytes still waiting for the kernel after it, or -1 once closed.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    if (!info[0].IsBuffer()) throw Napi::TypeError::New(info.Env(), "expected a Buffer");
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    if (state_ != kOpen) return Napi::Number::New(info.Env(), -1);
    const uint8_t* data = buf.Data();
    size_t len = buf.Length();
    if (pending_.empty()) {
      while (len > 0) {
        ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
        if (n > 0) {
          data += n;
          len -= size_t(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        } else {
          fail(n < 0 ? errno : EPIPE);
          return Napi::Number::New(info.Env(), -1);
        }
      }
    }
    if (len > 0) {
      Pending& p = pending_.emplace_back();
      if (len <= kCopyMax) {
        p.copy.assign(data, data + len);
        p.data = p.copy.data();
      } else {
        p.buffer = Napi::Persistent(buf.As<Napi::Object>());
        p.data = data;
      }
      p.size = len;
      pendingBytes_ += len;
      watch();
    }
    return Napi::Number::New(info.Env(), double(pendingBytes_));
  }

  // info(): [fd, pending bytes, pending buffers, writable watched] for CLIENT LIST.
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env, 4);
    out.Set(0u, Napi::Number::New(env, fd_));
    out.Set(1u, Napi::Number::New(env, double(pendingBytes_)));
    out.Set(2u, Napi::Number::New(env, double(pending_.size())));
    out.Set(3u, Napi::Boolean::New(env, (events_ & UV_WRITABLE) != 0));
    return out;
  }

  // Closes once everything written has gone out.
  Napi::Value End(const Napi::CallbackInfo& info) {
    if (state_ == kOpen) {
      state_ = kEnding;
      if (pending_.empty()) close(0);
      else watch();
    }
    return info.Env().Undefined();
  }

  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    close(0);
    return info.Env().Undefined();
  }

  Napi::Value Pause(const Napi::CallbackInfo& info) {
    reading_ = false;
    watch();
    return info.Env().Undefined();
  }

  Napi::Value Resume(const Napi::CallbackInfo& info) {
    reading_ = true;
    watch();
    return info.Env().Undefined();
  }

  // The events wanted now: readable while reading and open, writable while output waits.
  void watch() {
    if (state_ == kClosed) return;
    int events = 0;
    if (reading_ && state_ == kOpen) events |= UV_READABLE;
    if (!pending_.empty()) events |= UV_WRITABLE;
    if (events == events_) return;
    events_ = events;
    if (events == 0) uv_poll_stop(poll_);
    else uv_poll_start(poll_, events, &NativeSocket::OnPoll);
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<NativeSocket*>(handle->data);
    if (status < 0) {
      self->fail(-status);
      return;
    }
    if ((events & UV_WRITABLE) != 0) self->flushPending();
    if ((events & UV_READABLE) != 0 && self->state_ == kOpen && self->reading_) self->readOnce();
  }

  void flushPending() {
    while (!pending_.empty() && state_ != kClosed) {
      Pending& front = pending_.front();
      ssize_t n = ::send(fd_, front.data + sent_, front.size - sent_, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        fail(n < 0 ? errno : EPIPE);
        return;
      }
      sent_ += size_t(n);
      pendingBytes_ -= size_t(n);
      if (sent_ == front.size) {
        pending_.pop_front();  // releases the Buffer it referenced
        sent_ = 0;
      }
    }
    if (state_ == kEnding && pending_.empty()) {
      close(0);
      return;
    }
    watch();
    if (state_ == kOpen && pending_.empty()) {
      Napi::HandleScope scope(Env());
      call(onDrain_, Env().Undefined());
    }
  }

  void readOnce() {
    static thread_local std::vector<uint8_t> buffer(kReadSize);
    ssize_t n;
    do n = ::read(fd_, buffer.data(), buffer.size());
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      close(n < 0 ? errno : 0);  // 0: the client closed its side
      return;
    }
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Buffer<uint8_t> chunk = Napi::Buffer<uint8_t>::Copy(env, buffer.data(), size_t(n));
    call(onData_, chunk);
  }

  void fail(int err) { close(err == 0 ? EPIPE : err); }

  // Stops watching; once libuv lets go of the watcher, closes the fd and
  // tells JS (from the event loop, never from inside a call JS made).
  void close(int err) {
    if (state_ == kClosed) return;
    state_ = kClosed;
    closeError_ = err;
    pending_.clear();
    pendingBytes_ = 0;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), &NativeSocket::OnClosed);
  }

  static void OnClosed(uv_handle_t* handle) {
    auto* self = static_cast<NativeSocket*>(handle->data);
    delete reinterpret_cast<uv_poll_t*>(handle);
    self->poll_ = nullptr;
    ::close(self->fd_);
    self->fd_ = -1;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    Napi::Value error = self->closeError_ == 0 ? env.Null() : Napi::Value(Napi::String::New(env, std::strerror(self->closeError_)));
    self->call(self->onClose_, error);
    self->onData_.Reset();
    self->onClose_.Reset();
    self->onDrain_.Reset();
    self->Unref();
  }

  // Calls into JS as Node calls a socket's callbacks: microtasks and ticks run after.
  void call(Napi::FunctionReference& fn, napi_value arg) {
    if (fn.IsEmpty()) return;
    Napi::Env env = Env();
    napi_value global;
    napi_get_global(env, &global);
    napi_value result;
    napi_status status = napi_make_callback(env, async_, global, fn.Value(), 1, &arg, &result);
    if (status == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);  // as an exception thrown from a socket's 'data' handler
    }
  }

  enum State { kOpen, kEnding, kClosed };
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  napi_async_context async_ = nullptr;
  Napi::FunctionReference onData_, onClose_, onDrain_;
  State state_ = kOpen;
  bool reading_ = true;
  int events_ = 0;
  int closeError_ = 0;
  std::deque<Pending> pending_;
  size_t pendingBytes_ = 0;
  size_t sent_ = 0;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeSocket", NativeSocket::Define(env));
  exports.Set("trimMemory", Napi::Function::New(env, dynkv::TrimMemory, "trimMemory"));
  return exports;
}

}  // namespace

NODE_API_MODULE(dynkv_socket, Init)
