#include "coordination/redis/hiredis_asio_adapter.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>

namespace mr::coordination::redis {
namespace {

// Shared with the pending wait handlers, so a handler that runs after the context is gone finds
// `ac` null instead of a dangling pointer.
struct AdapterState {
  AdapterState(asio::io_context& ioc, int fd, std::shared_ptr<std::mutex> m)
      : mu(std::move(m)), sd(ioc, fd) {}
  std::shared_ptr<std::mutex> mu;
  redisAsyncContext* ac = nullptr;  // Null once hiredis has cleaned up. Guarded by *mu.
  asio::posix::stream_descriptor sd;  // Guarded by *mu.
  bool want_read = false;             // What hiredis asked for. Guarded by *mu.
  bool want_write = false;
  bool read_armed = false;  // An async_wait is outstanding. Guarded by *mu.
  bool write_armed = false;
};

// ev.data: a heap box holding a reference, deleted by the cleanup hook.
using Box = std::shared_ptr<AdapterState>;

void ArmRead(const std::shared_ptr<AdapterState>& s);
void ArmWrite(const std::shared_ptr<AdapterState>& s);

void ArmRead(const std::shared_ptr<AdapterState>& s) {
  if (s->read_armed || s->ac == nullptr) {
    return;
  }
  s->read_armed = true;
  s->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                   [s](const boost::system::error_code& ec) {
                     std::lock_guard lock(*s->mu);
                     s->read_armed = false;
                     if (ec || s->ac == nullptr || !s->want_read) {
                       return;
                     }
                     redisAsyncHandleRead(s->ac);  // May free the context (s->ac becomes null).
                     if (s->ac != nullptr && s->want_read) {
                       ArmRead(s);
                     }
                   });
}

void ArmWrite(const std::shared_ptr<AdapterState>& s) {
  if (s->write_armed || s->ac == nullptr) {
    return;
  }
  s->write_armed = true;
  s->sd.async_wait(asio::posix::stream_descriptor::wait_write,
                   [s](const boost::system::error_code& ec) {
                     std::lock_guard lock(*s->mu);
                     s->write_armed = false;
                     if (ec || s->ac == nullptr || !s->want_write) {
                       return;
                     }
                     redisAsyncHandleWrite(s->ac);
                     if (s->ac != nullptr && s->want_write) {
                       ArmWrite(s);
                     }
                   });
}

AdapterState& State(void* privdata) { return **static_cast<Box*>(privdata); }

void AddRead(void* privdata) {
  auto s = *static_cast<Box*>(privdata);
  s->want_read = true;
  ArmRead(s);
}

void DelRead(void* privdata) { State(privdata).want_read = false; }

void AddWrite(void* privdata) {
  auto s = *static_cast<Box*>(privdata);
  s->want_write = true;
  ArmWrite(s);
}

void DelWrite(void* privdata) { State(privdata).want_write = false; }

void Cleanup(void* privdata) {
  auto* box = static_cast<Box*>(privdata);
  AdapterState& s = **box;
  s.ac = nullptr;
  s.want_read = s.want_write = false;
  boost::system::error_code ec;
  s.sd.cancel(ec);
  s.sd.release();  // hiredis closes the fd itself.
  delete box;
}

}  // namespace

bool AttachToAsio(redisAsyncContext* ac, asio::io_context& ioc, std::shared_ptr<std::mutex> mu) {
  if (ac->ev.data != nullptr) {
    return false;
  }
  auto state = std::make_shared<AdapterState>(ioc, ac->c.fd, std::move(mu));
  state->ac = ac;
  ac->ev.data = new Box(state);
  ac->ev.addRead = AddRead;
  ac->ev.delRead = DelRead;
  ac->ev.addWrite = AddWrite;
  ac->ev.delWrite = DelWrite;
  ac->ev.cleanup = Cleanup;
  // Like hiredis' own adapters: watch both directions at once; the first writable event
  // completes the non-blocking connect.
  AddRead(ac->ev.data);
  AddWrite(ac->ev.data);
  return true;
}

}  // namespace mr::coordination::redis
