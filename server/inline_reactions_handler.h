// A callback bidi-stream method handler whose reactions run inline, on the
// gRPC thread that completed the operation.
//
// Why: Compute and ComputeBatch are served as streams inside the server so
// that a request is read only when the memory budget has room for it
// (service.h). gRPC 1.51's CallbackBidiHandler hands every OnReadDone and
// OnWriteDone to its executor thread (can_inline=false), and OnDone too
// (inlineable_ondone=false), because a user's reaction might block. A unary
// call registered as unary has no such hop. So the read gate cost every small
// call a thread hand-off: ~5 us of server CPU per 16-value call more than the
// same work registered as unary (docs/benchmarks.md, "RPC path", session 18).
// UnaryCall's reactions never wait on anything -- a call below the engine's
// parallel threshold is computed in place (256 Ki values by default: at most
// a few hundred microseconds, as it already was on the executor thread), a
// larger one is handed to the engine -- so they may run where the operation
// completed, as gRPC runs its own DefaultReactor's.
//
// The handler speaks the same protocol with gRPC's core as CallbackBidiHandler
// (the ops, tags and reference counts of ServerCallbackCall: start, Finish and
// the context's completion op, plus one per outstanding read or write); only
// the inline flags differ. It needs the server context's internals
// (BeginCompletionOp, the initial-metadata state), which ServerContextBase
// opens to CallbackBidiHandler only: hence an explicit specialization of that
// template for a tag type of ours, InlineReactions. Tied to gRPC 1.51's
// internal API (Debian 12's, which the project pins); a gRPC upgrade must
// re-check it against grpcpp/impl/codegen/server_callback_handlers.h.
//
// Use only for reactors whose reactions (OnReadDone, OnWriteDone, OnDone,
// OnSendInitialMetadataDone) return in microseconds without waiting on
// anything: they run on gRPC's polling threads.
#ifndef SERVER_INLINE_REACTIONS_HANDLER_H_
#define SERVER_INLINE_REACTIONS_HANDLER_H_

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <new>
#include <thread>
#include <utility>

namespace actserver {

// The tag that selects the handler below; never instantiated.
struct InlineReactions;

using ByteStreamReactor =
    grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;

}  // namespace actserver

namespace grpc::internal {

template <>
class CallbackBidiHandler<actserver::InlineReactions, grpc::ByteBuffer> final
    : public MethodHandler {
 public:
  using Reactor = actserver::ByteStreamReactor;
  using MakeReactor = std::function<Reactor*(grpc::CallbackServerContext*)>;

  explicit CallbackBidiHandler(MakeReactor make_reactor)
      : make_reactor_(std::move(make_reactor)) {}

  void RunHandler(const HandlerParameter& param) final {
    grpc_call* call = param.call->call();
    g_core_codegen_interface->grpc_call_ref(call);
    auto* context =
        static_cast<grpc::CallbackServerContext*>(param.server_context);
    auto* stream =
        new (g_core_codegen_interface->grpc_call_arena_alloc(call,
                                                             sizeof(Stream)))
            Stream(context, param.call, param.call_requester);
    param.server_context->BeginCompletionOp(
        param.call, [stream](bool) { stream->MaybeDone(/*inline=*/true); },
        stream);
    Reactor* reactor = nullptr;
    if (param.status.ok()) {
      reactor = CatchingReactorGetter<Reactor>(make_reactor_, context);
    }
    if (reactor == nullptr) {
      using Unimplemented =
          UnimplementedBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;
      reactor = new (g_core_codegen_interface->grpc_call_arena_alloc(
          call, sizeof(Unimplemented)))
          Unimplemented(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
    }
    stream->Start(reactor);
  }

 private:
  // The call's stream, in the call's arena; destroys itself in CallOnDone
  // once start, Finish, the completion op and every read and write have
  // given back their reference.
  class Stream final
      : public ServerCallbackReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    Stream(grpc::CallbackServerContext* context, Call* call,
           std::function<void()> call_requester)
        : context_(context),
          call_(*call),
          call_requester_(std::move(call_requester)) {}

    void Start(Reactor* reactor) {
      reactor_.store(reactor, std::memory_order_relaxed);
      read_tag_.Set(
          call_.call(),
          [this, reactor](bool ok) {
            if (!ok) context_->MaybeMarkCancelledOnRead();
            reactor->OnReadDone(ok);
            MaybeDone(/*inline=*/true);
          },
          &read_ops_, /*can_inline=*/true);
      read_ops_.set_core_cq_tag(&read_tag_);
      write_tag_.Set(
          call_.call(),
          [this, reactor](bool ok) {
            reactor->OnWriteDone(ok);
            MaybeDone(/*inline=*/true);
          },
          &write_ops_, /*can_inline=*/true);
      write_ops_.set_core_cq_tag(&write_tag_);
      // A read the reactor asked for in its constructor is issued while it
      // binds, under the reactor's stream lock: what completes in this
      // thread from then until the end of Start is kept (Perform) and run
      // here, once that lock is released; what those reactions start (the
      // response, the status) is kept and run in turn.
      starting_thread_ = std::this_thread::get_id();
      starting_.store(true, std::memory_order_relaxed);
      BindReactor(reactor);
      MaybeCallOnCancel(reactor);
      for (std::size_t i = 0; i < completed_count_; ++i) {
        completed_[i].functor->functor_run(completed_[i].functor,
                                           completed_[i].ok);
      }
      starting_.store(false, std::memory_order_relaxed);
      MaybeDone(/*inline=*/true);  // the start's reference
    }

    void Read(grpc::ByteBuffer* request) override {
      Ref();
      read_ops_.RecvMessage(request);
      Perform(&read_ops_);
    }

    void Write(const grpc::ByteBuffer* response,
               grpc::WriteOptions options) override {
      Ref();
      if (options.is_last_message()) options.set_buffer_hint();
      AddInitialMetadata(&write_ops_);
      // Fails only for a message that does not serialize; a ByteBuffer is
      // serialized already.
      GPR_CODEGEN_ASSERT(write_ops_.SendMessagePtr(response, options).ok());
      Perform(&write_ops_);
    }

    void WriteAndFinish(const grpc::ByteBuffer* response,
                        grpc::WriteOptions options,
                        grpc::Status status) override {
      GPR_CODEGEN_ASSERT(finish_ops_.SendMessagePtr(response, options).ok());
      Finish(std::move(status));
    }

    void Finish(grpc::Status status) override {
      finish_tag_.Set(
          call_.call(), [this](bool) { MaybeDone(/*inline=*/true); },
          &finish_ops_, /*can_inline=*/true);
      finish_ops_.set_core_cq_tag(&finish_tag_);
      AddInitialMetadata(&finish_ops_);
      finish_ops_.ServerSendStatus(&context_->trailing_metadata_, status);
      Perform(&finish_ops_);
    }

    void SendInitialMetadata() override {
      GPR_CODEGEN_ASSERT(!context_->sent_initial_metadata_);
      Ref();
      meta_tag_.Set(
          call_.call(),
          [this](bool ok) {
            reactor_.load(std::memory_order_relaxed)
                ->OnSendInitialMetadataDone(ok);
            MaybeDone(/*inline=*/true);
          },
          &meta_ops_, /*can_inline=*/true);
      AddInitialMetadata(&meta_ops_);
      meta_ops_.set_core_cq_tag(&meta_tag_);
      Perform(&meta_ops_);
    }

   private:
    // Starts `ops`. Inside Start, on its thread, whatever completes while
    // gRPC starts them is caught instead of queued. Why: a unary call's
    // message has usually arrived with its headers, so the read completes
    // inside PerformOps, and a small response's status is sent inside it
    // too; gRPC would queue each completion and kick its other polling
    // thread out of epoll_wait to run it, a thread hand-off (an eventfd
    // write, an epoll and futex wake-up) per event (docs/benchmarks.md,
    // "Session 20"). Caught in this thread's completion cache (public API,
    // what gRPC's sync server uses), each runs at the end of Start, on this
    // thread, as the other thread would have run it. The cache holds the
    // first event completed in the window, ours or another call's; either
    // is a callback functor, run exactly once either way. Nothing else on
    // gRPC's callback threads uses the cache.
    void Perform(CallOpSetInterface* ops) {
      if (!starting_.load(std::memory_order_relaxed) ||
          std::this_thread::get_id() != starting_thread_ ||
          completed_count_ == completed_.size()) {
        call_.PerformOps(ops);
        return;
      }
      grpc_completion_queue* cq = call_.cq()->cq();
      grpc_completion_queue_thread_local_cache_init(cq);
      call_.PerformOps(ops);
      void* tag = nullptr;
      int ok = 0;
      if (grpc_completion_queue_thread_local_cache_flush(cq, &tag, &ok) != 0) {
        completed_[completed_count_++] = {
            static_cast<grpc_completion_queue_functor*>(tag), ok};
      }
    }

    // Puts the initial metadata into `ops` unless it has been sent.
    template <typename Ops>
    void AddInitialMetadata(Ops* ops) {
      if (context_->sent_initial_metadata_) return;
      ops->SendInitialMetadata(&context_->initial_metadata_,
                               context_->initial_metadata_flags());
      if (context_->compression_level_set()) {
        ops->set_compression_level(context_->compression_level());
      }
      context_->sent_initial_metadata_ = true;
    }

    ServerReactor* reactor() override {
      return reactor_.load(std::memory_order_relaxed);
    }

    void CallOnDone() override {
      reactor_.load(std::memory_order_relaxed)->OnDone();
      grpc_call* call = call_.call();
      std::function<void()> call_requester = std::move(call_requester_);
      if (context_->context_allocator() != nullptr) {
        context_->context_allocator()->Release(context_);
      }
      this->~Stream();  // in the call's arena: no delete
      g_core_codegen_interface->grpc_call_unref(call);
      call_requester();
    }

    grpc::CallbackServerContext* const context_;
    Call call_;
    std::function<void()> call_requester_;
    std::atomic<Reactor*> reactor_{nullptr};
    CallOpSet<CallOpSendInitialMetadata> meta_ops_;
    CallbackWithSuccessTag meta_tag_;
    CallOpSet<CallOpSendInitialMetadata, CallOpSendMessage,
              CallOpServerSendStatus>
        finish_ops_;
    CallbackWithSuccessTag finish_tag_;
    CallOpSet<CallOpSendInitialMetadata, CallOpSendMessage> write_ops_;
    CallbackWithSuccessTag write_tag_;
    CallOpSet<CallOpRecvMessage<grpc::ByteBuffer>> read_ops_;
    CallbackWithSuccessTag read_tag_;
    // Start is running on starting_thread_ (set before the stream is
    // known to anyone else); the events it caught (Perform), run in order.
    // completed_ is touched only by that thread.
    struct Completed {
      grpc_completion_queue_functor* functor;
      int ok;
    };
    std::atomic<bool> starting_{false};
    std::thread::id starting_thread_;
    std::array<Completed, 4> completed_{};
    std::size_t completed_count_ = 0;
  };

  MakeReactor make_reactor_;
};

}  // namespace grpc::internal

namespace actserver {

// Serves a method as a stream of ByteBuffers whose reactions run inline (see
// the top of this file): pass to Service::MarkMethodStreamed.
using InlineReactionsHandler =
    grpc::internal::CallbackBidiHandler<InlineReactions, grpc::ByteBuffer>;

}  // namespace actserver

#endif  // SERVER_INLINE_REACTIONS_HANDLER_H_
