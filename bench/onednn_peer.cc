// oneDNN as a benchmark peer; see onednn_peer.h.
#include "bench/onednn_peer.h"

#include <omp.h>

#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

namespace xcorr {
namespace bench {

using Args = std::unordered_map<int, dnnl::memory>;
using Tag = dnnl::memory::format_tag;

struct OneDnnConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  bool any_layout;
  Tag activations, weights;  // the user layouts
  dnnl::memory::dims x_dims, w_dims, bias_dims, y_dims;

  dnnl::primitive forward, backward_data, backward_weights;
  Args forward_args, data_args, weights_args;
  // The output memories, in the order CopyOutputs reorders them into data's
  // user-layout outputs: y, or dx, dw, dbias.
  std::vector<dnnl::memory> outputs;

  // What the primitive is asked for: the user layout, or "any".
  dnnl::memory::desc Wanted(const dnnl::memory::dims& dims, Tag user) const {
    return dnnl::memory::desc(dims, dnnl::memory::data_type::f32,
                              any_layout ? Tag::any : user);
  }

  // A memory of layout `desc` holding the user tensor `values` (not timed).
  dnnl::memory Input(const dnnl::memory::desc& desc,
                     const dnnl::memory::dims& dims, Tag user,
                     const std::vector<float>& values) {
    dnnl::memory from({dims, dnnl::memory::data_type::f32, user}, engine,
                      const_cast<float*>(values.data()));
    dnnl::memory to(desc, engine);
    dnnl::reorder(from, to).execute(stream, from, to);
    stream.wait();
    return to;
  }

  dnnl::memory Output(const dnnl::memory::desc& desc) {
    outputs.emplace_back(desc, engine);
    return outputs.back();
  }
};

OneDnnConv::OneDnnConv(const ConvData& data, bool any_layout, bool with_bias,
                       bool backward, int64_t threads)
    : impl_(std::make_unique<Impl>()) {
  omp_set_num_threads(static_cast<int>(threads));
  Impl& m = *impl_;
  const detail::ConvShape& s = data.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const bool nhwc = s.layout == XCORR_LAYOUT_NHWC;
  m.any_layout = any_layout;
  m.activations = nhwc ? Tag::nhwc : Tag::nchw;
  m.weights = nhwc ? Tag::ohwi : Tag::oihw;
  m.x_dims = {d.batch, d.in_channels, d.in_height, d.in_width};
  m.w_dims = {d.out_channels, d.in_channels, d.kernel_height, d.kernel_width};
  m.bias_dims = {d.out_channels};
  m.y_dims = {d.batch, d.out_channels, s.out_height, s.out_width};
  const dnnl::memory::dims strides = {d.stride_height, d.stride_width};
  const dnnl::memory::dims pad_before = {d.pad_top, d.pad_left};
  const dnnl::memory::dims pad_after = {d.pad_bottom, d.pad_right};
  const auto x_md = m.Wanted(m.x_dims, m.activations);
  // oneDNN 2.6 has no fast kernel for plain ohwi weights (its reference kernel
  // runs at 0.04 GFLOP/s), so NHWC cases let it pack the weights, once, as
  // NHWC engines do; activations stay in the user's layout.
  const auto w_md = nhwc ? dnnl::memory::desc(
                               m.w_dims, dnnl::memory::data_type::f32, Tag::any)
                         : m.Wanted(m.w_dims, m.weights);
  const auto bias_md = m.Wanted(m.bias_dims, Tag::x);
  const auto y_md = m.Wanted(m.y_dims, m.activations);
  const auto direct = dnnl::algorithm::convolution_direct;

  const auto kind = backward ? dnnl::prop_kind::forward_training
                             : dnnl::prop_kind::forward_inference;
  const dnnl::convolution_forward::primitive_desc forward_pd(
      with_bias
          ? dnnl::convolution_forward::desc(kind, direct, x_md, w_md, bias_md,
                                            y_md, strides, pad_before,
                                            pad_after)
          : dnnl::convolution_forward::desc(kind, direct, x_md, w_md, y_md,
                                            strides, pad_before, pad_after),
      m.engine);
  if (!backward) {
    m.forward = dnnl::convolution_forward(forward_pd);
    m.forward_args = {{DNNL_ARG_SRC, m.Input(forward_pd.src_desc(), m.x_dims,
                                             m.activations, data.x)},
                      {DNNL_ARG_WEIGHTS, m.Input(forward_pd.weights_desc(),
                                                 m.w_dims, m.weights, data.w)},
                      {DNNL_ARG_DST, m.Output(forward_pd.dst_desc())}};
    if (with_bias) {
      m.forward_args[DNNL_ARG_BIAS] =
          m.Input(forward_pd.bias_desc(), m.bias_dims, Tag::x, data.bias);
    }
    return;
  }
  const dnnl::convolution_backward_data::primitive_desc data_pd(
      dnnl::convolution_backward_data::desc(direct, x_md, w_md, y_md, strides,
                                            pad_before, pad_after),
      m.engine, forward_pd);
  m.backward_data = dnnl::convolution_backward_data(data_pd);
  m.data_args = {{DNNL_ARG_DIFF_DST, m.Input(data_pd.diff_dst_desc(), m.y_dims,
                                             m.activations, data.dy)},
                 {DNNL_ARG_WEIGHTS,
                  m.Input(data_pd.weights_desc(), m.w_dims, m.weights, data.w)},
                 {DNNL_ARG_DIFF_SRC, m.Output(data_pd.diff_src_desc())}};
  const dnnl::convolution_backward_weights::primitive_desc weights_pd(
      dnnl::convolution_backward_weights::desc(
          direct, x_md, w_md, bias_md, y_md, strides, pad_before, pad_after),
      m.engine, forward_pd);
  m.backward_weights = dnnl::convolution_backward_weights(weights_pd);
  m.weights_args = {
      {DNNL_ARG_SRC,
       m.Input(weights_pd.src_desc(), m.x_dims, m.activations, data.x)},
      {DNNL_ARG_DIFF_DST,
       m.Input(weights_pd.diff_dst_desc(), m.y_dims, m.activations, data.dy)},
      {DNNL_ARG_DIFF_WEIGHTS, m.Output(weights_pd.diff_weights_desc())},
      {DNNL_ARG_DIFF_BIAS, m.Output(weights_pd.diff_bias_desc())}};
}

OneDnnConv::~OneDnnConv() = default;

void OneDnnConv::Forward() {
  impl_->forward.execute(impl_->stream, impl_->forward_args);
  impl_->stream.wait();
}

void OneDnnConv::Backward() {
  impl_->backward_data.execute(impl_->stream, impl_->data_args);
  impl_->backward_weights.execute(impl_->stream, impl_->weights_args);
  impl_->stream.wait();
}

void OneDnnConv::CopyOutputs(ConvData* data) {
  Impl& m = *impl_;
  struct User {
    std::vector<float>* values;
    dnnl::memory::dims dims;
    Tag tag;
  };
  const std::vector<User> users =
      m.outputs.size() == 3
          ? std::vector<User>{{&data->dx, m.x_dims, m.activations},
                              {&data->dw, m.w_dims, m.weights},
                              {&data->dbias, m.bias_dims, Tag::x}}
          : std::vector<User>{{&data->y, m.y_dims, m.activations}};
  for (size_t k = 0; k < users.size(); ++k) {
    dnnl::memory to({users[k].dims, dnnl::memory::data_type::f32, users[k].tag},
                    m.engine, users[k].values->data());
    dnnl::reorder(m.outputs[k], to).execute(m.stream, m.outputs[k], to);
  }
  m.stream.wait();
}

void RegisterOneDnn(const Family& family, bool with_bias, bool backward) {
  Family multi_channel = family;
  multi_channel.cases.clear();
  for (const std::vector<int64_t>& args : family.cases) {
    if (family.desc_of(args).in_channels > 1)
      multi_channel.cases.push_back(args);
  }
  for (const bool any_layout : {true, false}) {
    if (!any_layout && multi_channel.cases.empty()) continue;
    Register(
        any_layout ? family : multi_channel,
        any_layout ? "onednn_any" : "onednn_plain", kMaxThreads,
        [with_bias, backward, any_layout](benchmark::State& state,
                                          const xcorr_conv2d_desc& desc,
                                          int64_t threads) {
          ConvData data(desc, backward);
          const char* what = any_layout ? "onednn_any" : "onednn_plain";
          try {
            OneDnnConv conv(data, any_layout, with_bias, backward, threads);
            TimeChecked(
                state, threads,
                backward ? BackwardWork(data.shape)
                         : ForwardWork(data.shape, with_bias),
                [&conv, backward] {
                  backward ? conv.Backward() : conv.Forward();
                  return true;
                },
                [&] {
                  conv.CopyOutputs(&data);
                  return backward ? BackwardMatches(
                                        state, what, data, data.dx.data(),
                                        data.dw.data(), data.dbias.data())
                                  : ForwardMatches(state, what, data, with_bias,
                                                   data.y.data());
                });
          } catch (const dnnl::error& error) {
            state.SkipWithError(error.what());
          }
        });
  }
}

}  // namespace bench
}  // namespace xcorr
