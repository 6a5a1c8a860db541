// ThreadSanitizer builds only (ACTSVC_SANITIZE=thread links this into every
// program): makes Debian's absl::Mutex, absl::CondVar and absl::Notification
// visible to TSan.
//
// Debian's Abseil is not built with -fsanitize=thread, so its locks are
// atomics and futexes TSan never sees: two threads that take an absl::Mutex
// in turn and write the data it guards are reported as a data race (a
// 10-line program that increments a counter under absl::MutexLock from two
// threads is). gRPC 1.51 locks with absl::Mutex too. Without this file every
// report of a TSan run would be that false positive.
//
// The fix: this program defines the public lock and unlock entry points of
// those classes itself (the executable's definitions take precedence over the
// shared library's, for our code and for gRPC's alike), tells TSan about the
// happens-before edge (__tsan_release before unlocking, __tsan_acquire after
// locking, on the mutex's address), and calls Abseil's own function, found
// with dlsym(RTLD_NEXT). Lock-order (deadlock) checking is not provided: only
// the happens-before edges a lock makes.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#if !defined(ABSL_OPTION_USE_INLINE_NAMESPACE) || !ABSL_OPTION_USE_INLINE_NAMESPACE
#error "tsan_absl_sync.cc expects Abseil's inline namespace (Debian: absl::debian3)"
#endif

namespace {

#define ACTSVC_STRINGIFY2(x) #x
#define ACTSVC_STRINGIFY(x) ACTSVC_STRINGIFY2(x)

// Abseil's own definition of `absl::<rest>`, given its mangled name without
// the "_ZN4absl<namespace>" prefix ("K" for const members goes first).
template <typename Function>
Function Original(const char* rest, bool is_const = false) {
  const std::string ns = ACTSVC_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = std::string(is_const ? "_ZNK4absl" : "_ZN4absl") +
                           std::to_string(ns.size()) + ns + rest;
  void* symbol = dlsym(RTLD_NEXT, name.c_str());
  if (symbol == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in Abseil\n",
                 name.c_str());
    std::abort();
  }
  return reinterpret_cast<Function>(symbol);
}

void Acquire(const void* address) {
  __tsan_acquire(const_cast<void*>(address));
}
void Release(const void* address) {
  __tsan_release(const_cast<void*>(address));
}

// Notification's flag (written under its mutex by Notify, read with an
// acquire load by the inline HasBeenNotified): its address is the sync point,
// so that the instrumented load in HasBeenNotified synchronizes too. The flag
// follows the mutex (notification.h: `Mutex mutex_; std::atomic<bool>
// notified_yet_;`).
static_assert(sizeof(absl::Notification) ==
              sizeof(absl::Mutex) + alignof(absl::Mutex));
const void* Flag(const absl::Notification* notification) {
  return reinterpret_cast<const char*>(notification) + sizeof(absl::Mutex);
}

// Debian's Abseil is built without NDEBUG, so absl::Mutex runs its deadlock
// detector, whose lock graph is guarded by Abseil's internal spin lock (which
// TSan cannot see either): every program of a TSan build turns it off at
// start-up, as actserver itself does (main.cc).
[[maybe_unused]] const bool kDeadlockDetectionOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static auto original = Original<void (*)(Mutex*)>("5Mutex4LockEv");
  original(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  static auto original = Original<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  original(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  static auto original = Original<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  const bool locked = original(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static auto original = Original<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  const bool locked = original(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  static auto original = Original<void (*)(Mutex*)>("5Mutex6UnlockEv");
  Release(this);
  original(this);
}

void Mutex::ReaderUnlock() {
  static auto original = Original<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  Release(this);
  original(this);
}

void Mutex::LockWhen(const Condition& cond) {
  static auto original = Original<void (*)(Mutex*, const Condition&)>(
      "5Mutex8LockWhenERKNS0_9ConditionE");
  original(this, cond);
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto original = Original<void (*)(Mutex*, const Condition&)>(
      "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  original(this, cond);
  Acquire(this);
}

// The timed forms return whether the condition held; the lock is held either way.
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto original = Original<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool result = original(this, cond, timeout);
  Acquire(this);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto original = Original<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool result = original(this, cond, deadline);
  Acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto original = Original<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool result = original(this, cond, timeout);
  Acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto original = Original<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool result = original(this, cond, deadline);
  Acquire(this);
  return result;
}

// Await releases the lock while it waits and takes it back.
void Mutex::Await(const Condition& cond) {
  static auto original = Original<void (*)(Mutex*, const Condition&)>(
      "5Mutex5AwaitERKNS0_9ConditionE");
  Release(this);
  original(this, cond);
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static auto original = Original<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Release(this);
  const bool result = original(this, cond, timeout);
  Acquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static auto original = Original<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Release(this);
  const bool result = original(this, cond, deadline);
  Acquire(this);
  return result;
}

void CondVar::Wait(Mutex* mu) {
  static auto original =
      Original<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  original(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static auto original = Original<bool (*)(CondVar*, Mutex*, Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool result = original(this, mu, timeout);
  Acquire(mu);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static auto original = Original<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool result = original(this, mu, deadline);
  Acquire(mu);
  return result;
}

void Notification::Notify() {
  static auto original =
      Original<void (*)(Notification*)>("12Notification6NotifyEv");
  Release(Flag(this));
  original(this);
}

void Notification::WaitForNotification() const {
  static auto original = Original<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", /*is_const=*/true);
  original(this);
  Acquire(Flag(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static auto original = Original<bool (*)(const Notification*, Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
      /*is_const=*/true);
  const bool notified = original(this, timeout);
  if (notified) Acquire(Flag(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static auto original = Original<bool (*)(const Notification*, Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
      /*is_const=*/true);
  const bool notified = original(this, deadline);
  if (notified) Acquire(Flag(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
