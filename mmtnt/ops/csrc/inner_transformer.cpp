// TNT's inner transformer, fused: from a sentence's input words to the normed
// words the outer stream adds, in one pass per group of 16 sentences (one per
// vector lane), in cache. The backward recomputes that forward group by group
// and back-propagates through it, so nothing of it is stored in between.
// mmtnt/ops/inner_transformer.py says when it is used.
//
// Per sentence (x: m x c; k1, k2: drop-path factors, 1 without drop path):
//   x = x + k1 (Wp . attn(LN1(x)) + bp)      attention over the m words
//   x = x + k2 (W2 . GELU(W1 . LN2(x) + b1) + b2)
//   words = LN3(x)                   official: over all m*c; legacy: per word
#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <vector>

namespace {

// 16 sentences side by side: lane l of every vector belongs to sentence l of
// the group, so every operation below is lane-wise and any m, c or head width
// vectorises (GCC vector extensions: AVX-512, 2 x AVX2, 4 x NEON, ...).
constexpr int64_t L = 16;
typedef float vf __attribute__((vector_size(L * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(L * sizeof(float))));

inline vf splat(float s) { return vf{} + s; }

inline vf vexp(vf x) {
  // Cephes expf: 2^n * exp(r), |r| <= ln2/2; relative error < 2e-7.
  x = x < -87.3f ? splat(-87.3f) : x;
  x = x > 88.7f ? splat(88.7f) : x;
  const vf n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const vf r = x - n * 0.693359375f + n * 2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const vi bits = (__builtin_convertvector(n, vi) + 127) << 23;
  return p * reinterpret_cast<const vf&>(bits);
}

// Phi(x) = 0.5 (1 + erf(x / sqrt 2)); erf by Abramowitz & Stegun 7.1.26
// (absolute error < 1.5e-7).
inline vf vnormal_cdf(vf x) {
  const vf z = x * 0.70710678118654752f;
  const vi zbits = reinterpret_cast<const vi&>(z) & 0x7fffffff;
  const vf a = reinterpret_cast<const vf&>(zbits);
  const vf t = 1.0f / (1.0f + 0.3275911f * a);
  vf p = splat(1.061405429f);
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  vf e = 1.0f - p * t * vexp(-(a * a));
  e = z < 0.0f ? -e : e;
  return 0.5f * (1.0f + e);
}

inline vf vgelu(vf x) { return x * vnormal_cdf(x); }

// R rows of y (+)= W . x + b: four outputs at a time, R x 4 independent FMA
// chains, each weight broadcast once for R rows.
template <int R>
inline void linear_rows(const float* W, const float* b, const vf* x, vf* y,
                        int64_t k, int64_t n, bool accumulate) {
  auto init = [&](int64_t r, int64_t j) {
    const vf bias = splat(b ? b[j] : 0.0f);
    return accumulate ? y[r * n + j] + bias : bias;
  };
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* w = W + j * k;
    vf acc[R][4];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) acc[r][q] = init(r, j + q);
    for (int64_t kk = 0; kk < k; ++kk) {
      const float s0 = w[kk], s1 = w[k + kk], s2 = w[2 * k + kk],
                  s3 = w[3 * k + kk];
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const vf u = x[r * k + kk];
        acc[r][0] += u * s0;
        acc[r][1] += u * s1;
        acc[r][2] += u * s2;
        acc[r][3] += u * s3;
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) y[r * n + j + q] = acc[r][q];
  }
  for (; j < n; ++j) {
    const float* w = W + j * k;
    vf acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = init(r, j);
    for (int64_t kk = 0; kk < k; ++kk)
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r] += x[r * k + kk] * w[kk];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[r * n + j] = acc[r];
  }
}

// y[r] (+)= W . x[r] + b for r < rows: W is nn.Linear's (n, k) weight, x[r]
// k vectors, y[r] n vectors (added to if accumulate).
inline void linear(const float* W, const float* b, const vf* x, vf* y,
                   int64_t rows, int64_t k, int64_t n, bool accumulate) {
#ifdef __AVX512F__
  constexpr int R = 4;  // 16 accumulators of 32 registers
#else
  constexpr int R = 2;
#endif
  int64_t r = 0;
  for (; r + R <= rows; r += R)
    linear_rows<R>(W, b, x + r * k, y + r * n, k, n, accumulate);
  for (; r < rows; ++r)
    linear_rows<1>(W, b, x + r * k, y + r * n, k, n, accumulate);
}

// Query i, head h: p[j] = softmax_j(scale q_i . k_j) and out = sum_j p[j] v_j
// (hd channels), with q | k | v of word j at qkv + 3 c j.
inline void attend(const vf* qkv, int64_t i, int64_t h, int64_t m, int64_t c,
                   int64_t hd, float scale, vf* p, vf* out) {
  const vf* q = qkv + i * 3 * c + h * hd;
  vf mx = splat(-INFINITY);
  for (int64_t j = 0; j < m; ++j) {
    const vf* kj = qkv + j * 3 * c + c + h * hd;
    vf sc = vf{};
    for (int64_t d = 0; d < hd; ++d) sc += q[d] * kj[d];
    p[j] = sc * scale;
    mx = p[j] > mx ? p[j] : mx;
  }
  vf sum = vf{};
  for (int64_t j = 0; j < m; ++j) {
    p[j] = vexp(p[j] - mx);
    sum += p[j];
  }
  const vf inv = 1.0f / sum;
  for (int64_t j = 0; j < m; ++j) p[j] *= inv;
  for (int64_t d = 0; d < hd; ++d) {
    vf acc = vf{};
    for (int64_t j = 0; j < m; ++j)
      acc += p[j] * qkv[j * 3 * c + 2 * c + h * hd + d];
    out[d] = acc;
  }
}

// Mean and 1 / std over n vectors (per lane), as LayerNorm computes them.
inline void moments(const vf* x, int64_t n, float eps, vf* mean_out,
                    vf* rstd_out) {
  vf mean = vf{};
  for (int64_t j = 0; j < n; ++j) mean += x[j];
  mean = mean / static_cast<float>(n);
  vf var = vf{};
  for (int64_t j = 0; j < n; ++j) var += (x[j] - mean) * (x[j] - mean);
  vf rstd = var / static_cast<float>(n) + eps;
  for (int64_t l = 0; l < L; ++l) rstd[l] = 1.0f / std::sqrt(rstd[l]);
  *mean_out = mean;
  *rstd_out = rstd;
}

// LayerNorm over n vectors (per lane).
inline void layer_norm(const vf* x, const float* w, const float* b, vf* y,
                       int64_t n, float eps) {
  vf mean, rstd;
  moments(x, n, eps, &mean, &rstd);
  for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mean) * rstd * w[j] + b[j];
}

const float* data_or_null(const std::optional<at::Tensor>& t) {
  return t && t->defined() ? t->data_ptr<float>() : nullptr;
}

void check(const at::Tensor& t, const char* name, at::IntArrayRef shape) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat &&
                  t.is_contiguous(),
              "fused inner transformer: ", name,
              " must be a contiguous float32 CPU tensor");
  TORCH_CHECK(t.sizes() == shape, "fused inner transformer: ", name,
              " has shape ", t.sizes(), ", expected ", shape);
}

// Shapes, weights (nn.Linear's (out, in) layout) and epsilons of one call.
struct Inner {
  int64_t S, m, c, hidden, heads, n3;
  const float *src, *wqkv, *bqkv, *wp, *bp, *w1, *b1, *w2, *b2;
  const float *g1, *e1, *g2, *e2, *g3, *e3;
  float eps1, eps2, eps3;
  // Drop path: per-sentence scales of the attention and MLP branches (0 or
  // 1 / keep probability), or null.
  const float *keep1, *keep2;
};

// Lanes of the group at sentence s0 (zero beyond the last sentence).
inline vf lane_values(const float* v, int64_t s0, int64_t lanes) {
  vf out = vf{};
  for (int64_t l = 0; l < lanes; ++l) out[l] = v[s0 + l];
  return out;
}

// x += scale * (W . in + b) over rows (scale: the lanes' drop-path factors,
// or none when keep is null); tmp holds rows x n vectors.
inline void residual(const float* W, const float* b, const vf* in, vf* x,
                     vf* tmp, int64_t rows, int64_t k, int64_t n,
                     const float* keep, vf scale) {
  if (!keep) {
    linear(W, b, in, x, rows, k, n, true);
    return;
  }
  linear(W, b, in, tmp, rows, k, n, false);
  for (int64_t j = 0; j < rows * n; ++j) x[j] += tmp[j] * scale;
}

Inner make_inner(const at::Tensor& words, const at::Tensor& ln1_w,
                 const at::Tensor& ln1_b, const at::Tensor& qkv_w,
                 const std::optional<at::Tensor>& qkv_b,
                 const at::Tensor& proj_w, const at::Tensor& proj_b,
                 const at::Tensor& ln2_w, const at::Tensor& ln2_b,
                 const at::Tensor& fc1_w, const at::Tensor& fc1_b,
                 const at::Tensor& fc2_w, const at::Tensor& fc2_b,
                 const at::Tensor& ln3_w, const at::Tensor& ln3_b,
                 int64_t heads, bool norm_whole_sentence, double eps1,
                 double eps2, double eps3,
                 const std::optional<at::Tensor>& keep_attn,
                 const std::optional<at::Tensor>& keep_mlp) {
  TORCH_CHECK(words.dim() == 3, "fused inner transformer: words must be ",
              "(sentences, m, c), got ", words.sizes());
  const int64_t S = words.size(0), m = words.size(1), c = words.size(2);
  const int64_t hidden = fc1_w.size(0);
  TORCH_CHECK(heads > 0 && c % heads == 0, "fused inner transformer: ",
              c, " channels do not split into ", heads, " heads");
  check(words, "words", {S, m, c});
  check(ln1_w, "norm1_weight", {c});
  check(ln1_b, "norm1_bias", {c});
  check(qkv_w, "qkv_weight", {3 * c, c});
  if (qkv_b && qkv_b->defined()) check(*qkv_b, "qkv_bias", {3 * c});
  check(proj_w, "proj_weight", {c, c});
  check(proj_b, "proj_bias", {c});
  check(ln2_w, "norm2_weight", {c});
  check(ln2_b, "norm2_bias", {c});
  check(fc1_w, "fc1_weight", {hidden, c});
  check(fc1_b, "fc1_bias", {hidden});
  check(fc2_w, "fc2_weight", {c, hidden});
  check(fc2_b, "fc2_bias", {c});
  const int64_t n3 = norm_whole_sentence ? m * c : c;
  check(ln3_w, "norm3_weight", {n3});
  check(ln3_b, "norm3_bias", {n3});
  if (keep_attn && keep_attn->defined()) check(*keep_attn, "keep_attn", {S});
  if (keep_mlp && keep_mlp->defined()) check(*keep_mlp, "keep_mlp", {S});
  return Inner{S, m, c, hidden, heads, n3,
               words.data_ptr<float>(), qkv_w.data_ptr<float>(),
               data_or_null(qkv_b), proj_w.data_ptr<float>(),
               proj_b.data_ptr<float>(), fc1_w.data_ptr<float>(),
               fc1_b.data_ptr<float>(), fc2_w.data_ptr<float>(),
               fc2_b.data_ptr<float>(), ln1_w.data_ptr<float>(),
               ln1_b.data_ptr<float>(), ln2_w.data_ptr<float>(),
               ln2_b.data_ptr<float>(), ln3_w.data_ptr<float>(),
               ln3_b.data_ptr<float>(), static_cast<float>(eps1),
               static_cast<float>(eps2), static_cast<float>(eps3),
               data_or_null(keep_attn), data_or_null(keep_mlp)};
}

}  // namespace

// words (S, m, c) -> (new words (S, m, c), normed words (S, m*c)).
// Weights in nn.Linear's (out, in) layout; qkv_w is qk (2c rows) then v.
std::vector<at::Tensor> inner_transformer_forward(
    const at::Tensor& words, const at::Tensor& ln1_w, const at::Tensor& ln1_b,
    const at::Tensor& qkv_w, const std::optional<at::Tensor>& qkv_b,
    const at::Tensor& proj_w, const at::Tensor& proj_b,
    const at::Tensor& ln2_w, const at::Tensor& ln2_b, const at::Tensor& fc1_w,
    const at::Tensor& fc1_b, const at::Tensor& fc2_w, const at::Tensor& fc2_b,
    const at::Tensor& ln3_w, const at::Tensor& ln3_b, int64_t heads,
    bool norm_whole_sentence, double eps1, double eps2, double eps3,
    const std::optional<at::Tensor>& keep_attn,
    const std::optional<at::Tensor>& keep_mlp) {
  const Inner w = make_inner(words, ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b,
                             ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b, ln3_w,
                             ln3_b, heads, norm_whole_sentence, eps1, eps2,
                             eps3, keep_attn, keep_mlp);
  const int64_t S = w.S, m = w.m, c = w.c, hidden = w.hidden, n3 = w.n3;
  const int64_t hd = c / heads;
  at::Tensor out = at::empty_like(words);
  at::Tensor normed = at::empty({S, m * c}, words.options());
  const float* src = w.src;
  float* dst = out.data_ptr<float>();
  float* dst_normed = normed.data_ptr<float>();
  const float *wqkv = w.wqkv, *bqkv = w.bqkv, *wp = w.wp, *bp = w.bp;
  const float *w1 = w.w1, *b1 = w.b1, *w2 = w.w2, *b2 = w.b2;
  const float *g1 = w.g1, *e1 = w.e1, *g2 = w.g2, *e2 = w.e2, *g3 = w.g3,
              *e3 = w.e3;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t mc = m * c, groups = (S + L - 1) / L;

  at::parallel_for(0, groups, 1, [&](int64_t begin, int64_t end) {
    // Vectors (one lane per sentence): words, normed words (then the
    // attention output), q|k|v of every word, one query's scores, and the
    // MLP's input and hidden layer for four words.
    std::vector<vf> buf(2 * mc + 3 * mc + m + 4 * c + 4 * hidden);
    vf* x = buf.data();    // m x c
    vf* xn = x + mc;       // m x c
    vf* qkv = xn + mc;     // m x 3c
    vf* p = qkv + 3 * mc;  // m
    vf* z = p + m;         // 4 x c
    vf* hid = z + 4 * c;   // 4 x hidden
    for (int64_t g = begin; g < end; ++g) {
      const int64_t s0 = g * L, lanes = std::min(L, S - s0);
      if (lanes < L)
        for (int64_t k = 0; k < mc; ++k) x[k] = vf{};
      for (int64_t l = 0; l < lanes; ++l) {
        const float* row = src + (s0 + l) * mc;
        for (int64_t k = 0; k < mc; ++k) x[k][l] = row[k];
      }
      // attention: q, k, v of every word, then one query at a time
      for (int64_t i = 0; i < m; ++i)
        layer_norm(x + i * c, g1, e1, xn + i * c, c, static_cast<float>(eps1));
      linear(wqkv, bqkv, xn, qkv, m, c, 3 * c, false);
      vf* o = xn;  // m x c, the attention output
      for (int64_t i = 0; i < m; ++i)
        for (int64_t h = 0; h < heads; ++h)
          attend(qkv, i, h, m, c, hd, scale, p, o + i * c + h * hd);
      const vf k1 = w.keep1 ? lane_values(w.keep1, s0, lanes) : vf{};
      const vf k2 = w.keep2 ? lane_values(w.keep2, s0, lanes) : vf{};
      residual(wp, bp, o, x, qkv, m, c, c, w.keep1, k1);  // x += proj(o)
      // MLP, four words at a time
      for (int64_t i = 0; i < m; i += 4) {
        const int64_t rows = std::min<int64_t>(4, m - i);
        for (int64_t r = 0; r < rows; ++r)
          layer_norm(x + (i + r) * c, g2, e2, z + r * c, c,
                     static_cast<float>(eps2));
        linear(w1, b1, z, hid, rows, c, hidden, false);
        for (int64_t j = 0; j < rows * hidden; ++j) hid[j] = vgelu(hid[j]);
        residual(w2, b2, hid, x + i * c, qkv, rows, hidden, c, w.keep2, k2);
      }
      // words -> sentence: the LayerNorm before the projection
      for (int64_t k0 = 0; k0 < mc; k0 += n3)
        layer_norm(x + k0, g3, e3, xn + k0, n3, static_cast<float>(eps3));
      for (int64_t l = 0; l < lanes; ++l)
        for (int64_t k = 0; k < mc; ++k) {
          dst[(s0 + l) * mc + k] = x[k][l];
          dst_normed[(s0 + l) * mc + k] = xn[k][l];
        }
    }
  });
  return {out, normed};
}

namespace {

// The forward of one group again, keeping what the backward needs.
struct Saved {
  int64_t m, c, hidden, heads, n3;
  std::vector<vf> buf;
  vf *x0, *xhat1, *a, *r1, *qkv, *P, *o, *x1, *xhat2, *z, *r2, *hpre, *x2,
      *xhat3, *r3, *tmp;
  Saved(int64_t m_, int64_t c_, int64_t hidden_, int64_t heads_, int64_t n3_)
      : m(m_), c(c_), hidden(hidden_), heads(heads_), n3(n3_) {
    const int64_t mc = m * c;
    buf.resize(10 * mc + 3 * mc + heads * m * m + m * hidden + 2 * m +
               mc / n3);
    vf* p = buf.data();
    for (vf** t : {&x0, &xhat1, &a, &o, &x1, &xhat2, &z, &x2, &xhat3, &tmp}) {
      *t = p;
      p += mc;
    }
    qkv = p;
    p += 3 * mc;
    P = p;
    p += heads * m * m;
    hpre = p;
    p += m * hidden;
    r1 = p;
    p += m;
    r2 = p;
    p += m;
    r3 = p;
  }
};

// LayerNorm that also keeps x-hat and 1/std.
inline void layer_norm_save(const vf* x, const float* w, const float* b,
                            vf* y, vf* xhat, vf* rstd, int64_t n, float eps) {
  vf mean;
  moments(x, n, eps, &mean, rstd);
  for (int64_t j = 0; j < n; ++j) {
    xhat[j] = (x[j] - mean) * *rstd;
    y[j] = xhat[j] * w[j] + b[j];
  }
}

// dx += LayerNorm backward of dy; gw, gb (per lane) accumulate.
inline void layer_norm_backward(const vf* dy, const vf* xhat, vf rstd,
                                const float* w, vf* dx, vf* gw, vf* gb,
                                int64_t n) {
  vf m1 = vf{}, m2 = vf{};
  for (int64_t j = 0; j < n; ++j) {
    const vf d = dy[j] * w[j];
    m1 += d;
    m2 += d * xhat[j];
    gw[j] += dy[j] * xhat[j];
    gb[j] += dy[j];
  }
  m1 = m1 / static_cast<float>(n);
  m2 = m2 / static_cast<float>(n);
  for (int64_t j = 0; j < n; ++j)
    dx[j] += rstd * (dy[j] * w[j] - m1 - xhat[j] * m2);
}

// G[j][kk] += sum_r dy[r][j] x[r][kk]; gb[j] += sum_r dy[r][j] (per lane).
inline void weight_grad(const vf* dy, const vf* x, vf* G, vf* gb,
                        int64_t rows, int64_t n, int64_t k) {
  for (int64_t j = 0; j < n; ++j) {
    vf sb = vf{};
    for (int64_t r = 0; r < rows; ++r) sb += dy[r * n + j];
    if (gb) gb[j] += sb;
    int64_t kk = 0;
    for (; kk + 4 <= k; kk += 4) {
      vf a0 = vf{}, a1 = vf{}, a2 = vf{}, a3 = vf{};
      for (int64_t r = 0; r < rows; ++r) {
        const vf d = dy[r * n + j];
        const vf* xr = x + r * k + kk;
        a0 += d * xr[0];
        a1 += d * xr[1];
        a2 += d * xr[2];
        a3 += d * xr[3];
      }
      vf* g = G + j * k + kk;
      g[0] += a0;
      g[1] += a1;
      g[2] += a2;
      g[3] += a3;
    }
    for (; kk < k; ++kk) {
      vf a = vf{};
      for (int64_t r = 0; r < rows; ++r) a += dy[r * n + j] * x[r * k + kk];
      G[j * k + kk] += a;
    }
  }
}

// The gradient reaching a residual branch: dx, times the drop-path scale.
inline const vf* branch_grad(const vf* dx, vf* out, int64_t n,
                             const float* keep, vf scale) {
  if (!keep) return dx;
  for (int64_t j = 0; j < n; ++j) out[j] = dx[j] * scale;
  return out;
}

void recompute(const Inner& w, Saved& s, vf k1, vf k2) {
  const int64_t m = s.m, c = s.c, mc = m * c, hd = c / s.heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t i = 0; i < m; ++i)
    layer_norm_save(s.x0 + i * c, w.g1, w.e1, s.a + i * c, s.xhat1 + i * c,
                    s.r1 + i, c, w.eps1);
  linear(w.wqkv, w.bqkv, s.a, s.qkv, m, c, 3 * c, false);
  for (int64_t h = 0; h < s.heads; ++h)
    for (int64_t i = 0; i < m; ++i)
      attend(s.qkv, i, h, m, c, hd, scale, s.P + (h * m + i) * m,
             s.o + i * c + h * hd);
  for (int64_t k = 0; k < mc; ++k) s.x1[k] = s.x0[k];
  residual(w.wp, w.bp, s.o, s.x1, s.tmp, m, c, c, w.keep1, k1);
  for (int64_t i = 0; i < m; ++i)
    layer_norm_save(s.x1 + i * c, w.g2, w.e2, s.z + i * c, s.xhat2 + i * c,
                    s.r2 + i, c, w.eps2);
  linear(w.w1, w.b1, s.z, s.hpre, m, c, s.hidden, false);
  for (int64_t k = 0; k < mc; ++k) s.x2[k] = s.x1[k];
  // x2 += W2 . gelu(hpre) + b2, four words at a time
  std::vector<vf> g(4 * s.hidden);
  for (int64_t i = 0; i < m; i += 4) {
    const int64_t rows = std::min<int64_t>(4, m - i);
    for (int64_t j = 0; j < rows * s.hidden; ++j)
      g[j] = vgelu(s.hpre[i * s.hidden + j]);
    residual(w.w2, w.b2, g.data(), s.x2 + i * c, s.tmp, rows, s.hidden, c,
             w.keep2, k2);
  }
  std::vector<vf> unused(s.n3);
  for (int64_t k0 = 0, t = 0; k0 < mc; k0 += s.n3, ++t)
    layer_norm_save(s.x2 + k0, w.g3, w.e3, unused.data(), s.xhat3 + k0,
                    s.r3 + t, s.n3, w.eps3);
}

}  // namespace

// Gradients of inner_transformer_forward, recomputing its forward group by
// group (nothing of it is stored between the two). grad_words (S, m, c) and
// grad_normed (S, m*c) -> the gradients of words and of every weight, in
// inner_transformer_forward's argument order (qkv bias: undefined if none).
std::vector<at::Tensor> inner_transformer_backward(
    const at::Tensor& words, const at::Tensor& grad_words,
    const at::Tensor& grad_normed, const at::Tensor& ln1_w,
    const at::Tensor& ln1_b, const at::Tensor& qkv_w,
    const std::optional<at::Tensor>& qkv_b, const at::Tensor& proj_w,
    const at::Tensor& proj_b, const at::Tensor& ln2_w, const at::Tensor& ln2_b,
    const at::Tensor& fc1_w, const at::Tensor& fc1_b, const at::Tensor& fc2_w,
    const at::Tensor& fc2_b, const at::Tensor& ln3_w, const at::Tensor& ln3_b,
    int64_t heads, bool norm_whole_sentence, double eps1, double eps2,
    double eps3, const std::optional<at::Tensor>& keep_attn,
    const std::optional<at::Tensor>& keep_mlp) {
  const Inner w = make_inner(words, ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b,
                             ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b, ln3_w,
                             ln3_b, heads, norm_whole_sentence, eps1, eps2,
                             eps3, keep_attn, keep_mlp);
  const int64_t S = w.S, m = w.m, c = w.c, hidden = w.hidden, mc = m * c;
  const int64_t hd = c / heads, n3 = w.n3, groups = (S + L - 1) / L;
  check(grad_words, "grad of the words", {S, m, c});
  check(grad_normed, "grad of the normed words", {S, mc});
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // Weight transposes: the input gradients are linear() with them.
  const at::Tensor qkv_t = qkv_w.t().contiguous();
  const at::Tensor proj_t = proj_w.t().contiguous();
  const at::Tensor fc1_t = fc1_w.t().contiguous();
  const at::Tensor fc2_t = fc2_w.t().contiguous();
  const float *wqkv_t = qkv_t.data_ptr<float>();
  const float *wp_t = proj_t.data_ptr<float>();
  const float *w1_t = fc1_t.data_ptr<float>(), *w2_t = fc2_t.data_ptr<float>();

  // Gradient layout, one flat array: offsets of each weight's gradient.
  const int64_t sizes[] = {c, c, 3 * c * c, 3 * c, c * c, c, c, c,
                           hidden * c, hidden, c * hidden, c, n3, n3};
  int64_t offs[15] = {0};
  for (int t = 0; t < 14; ++t) offs[t + 1] = offs[t] + sizes[t];
  std::vector<double> total(offs[14], 0.0);
  std::mutex total_lock;

  at::Tensor grad_in = at::empty_like(words);
  const float* gw_src = grad_words.data_ptr<float>();
  const float* gn_src = grad_normed.data_ptr<float>();
  float* gi_dst = grad_in.data_ptr<float>();

  at::parallel_for(0, groups, 1, [&](int64_t begin, int64_t end) {
    Saved s(m, c, hidden, heads, n3);
    std::vector<vf> G(offs[14], vf{});
    vf *g_ln1w = G.data() + offs[0], *g_ln1b = G.data() + offs[1];
    vf *g_qkvw = G.data() + offs[2], *g_qkvb = G.data() + offs[3];
    vf *g_pw = G.data() + offs[4], *g_pb = G.data() + offs[5];
    vf *g_ln2w = G.data() + offs[6], *g_ln2b = G.data() + offs[7];
    vf *g_1w = G.data() + offs[8], *g_1b = G.data() + offs[9];
    vf *g_2w = G.data() + offs[10], *g_2b = G.data() + offs[11];
    vf *g_ln3w = G.data() + offs[12], *g_ln3b = G.data() + offs[13];
    // dx: the gradient of the residual stream; dn: of the normed words
    std::vector<vf> work(5 * mc + 3 * mc + 2 * m * hidden + m);
    vf* dx = work.data();
    vf* dn = dx + mc;
    vf* dz = dn + mc;  // then d(attention output)
    vf* da = dz + mc;
    vf* dqkv = da + mc;
    vf* dg = dqkv + 3 * mc;   // m x hidden: d gelu output, then gelu values
    vf* dh = dg + m * hidden;  // m x hidden
    vf* dp = dh + m * hidden;  // m
    vf* dxs = dp + m;          // m x c: a branch's share of dx
    for (int64_t g = begin; g < end; ++g) {
      const int64_t s0 = g * L, lanes = std::min(L, S - s0);
      if (lanes < L)
        for (int64_t k = 0; k < mc; ++k) s.x0[k] = dx[k] = dn[k] = vf{};
      for (int64_t l = 0; l < lanes; ++l) {
        const float* xs = w.src + (s0 + l) * mc;
        const float* gs = gw_src + (s0 + l) * mc;
        const float* ns = gn_src + (s0 + l) * mc;
        for (int64_t k = 0; k < mc; ++k) {
          s.x0[k][l] = xs[k];
          dx[k][l] = gs[k];
          dn[k][l] = ns[k];
        }
      }
      const vf k1 = w.keep1 ? lane_values(w.keep1, s0, lanes) : vf{};
      const vf k2 = w.keep2 ? lane_values(w.keep2, s0, lanes) : vf{};
      recompute(w, s, k1, k2);
      // words -> sentence LayerNorm
      for (int64_t k0 = 0, t = 0; k0 < mc; k0 += n3, ++t)
        layer_norm_backward(dn + k0, s.xhat3 + k0, s.r3[t], w.g3, dx + k0,
                            g_ln3w, g_ln3b, n3);
      // MLP: x2 = x1 + W2 gelu(W1 z + b1) + b2, z = LN2(x1)
      vf* gv = dg;  // gelu values first, for W2's gradient
      for (int64_t j = 0; j < m * hidden; ++j) gv[j] = vgelu(s.hpre[j]);
      const vf* db = branch_grad(dx, dxs, mc, w.keep2, k2);
      weight_grad(db, gv, g_2w, g_2b, m, c, hidden);
      linear(w2_t, nullptr, db, dg, m, c, hidden, false);  // d gelu out
      for (int64_t j = 0; j < m * hidden; ++j) {
        const vf h = s.hpre[j];
        const vf cdf = vnormal_cdf(h);
        const vf pdf = vexp(-0.5f * h * h) * 0.3989422804014327f;
        dh[j] = dg[j] * (cdf + h * pdf);
      }
      weight_grad(dh, s.z, g_1w, g_1b, m, hidden, c);
      linear(w1_t, nullptr, dh, dz, m, hidden, c, false);  // d z
      for (int64_t i = 0; i < m; ++i)
        layer_norm_backward(dz + i * c, s.xhat2 + i * c, s.r2[i], w.g2,
                            dx + i * c, g_ln2w, g_ln2b, c);
      // attention: x1 = x0 + Wp o + bp
      db = branch_grad(dx, dxs, mc, w.keep1, k1);
      weight_grad(db, s.o, g_pw, g_pb, m, c, c);
      vf* dout = dz;
      linear(wp_t, nullptr, db, dout, m, c, c, false);
      for (int64_t k = 0; k < 3 * mc; ++k) dqkv[k] = vf{};
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < m; ++i) {
          const vf* p = s.P + (h * m + i) * m;
          const vf* q = s.qkv + i * 3 * c + h * hd;
          const vf* doi = dout + i * c + h * hd;
          vf dot = vf{};
          for (int64_t j = 0; j < m; ++j) {
            const vf* vj = s.qkv + j * 3 * c + 2 * c + h * hd;
            vf* dvj = dqkv + j * 3 * c + 2 * c + h * hd;
            vf acc = vf{};
            for (int64_t d = 0; d < hd; ++d) {
              acc += doi[d] * vj[d];
              dvj[d] += p[j] * doi[d];
            }
            dp[j] = acc;
            dot += acc * p[j];
          }
          vf* dq = dqkv + i * 3 * c + h * hd;
          for (int64_t j = 0; j < m; ++j) {
            const vf ds = p[j] * (dp[j] - dot) * scale;
            const vf* kj = s.qkv + j * 3 * c + c + h * hd;
            vf* dkj = dqkv + j * 3 * c + c + h * hd;
            for (int64_t d = 0; d < hd; ++d) {
              dq[d] += ds * kj[d];
              dkj[d] += ds * q[d];
            }
          }
        }
      weight_grad(dqkv, s.a, g_qkvw, w.bqkv ? g_qkvb : nullptr, m, 3 * c, c);
      linear(wqkv_t, nullptr, dqkv, da, m, 3 * c, c, false);
      for (int64_t i = 0; i < m; ++i)
        layer_norm_backward(da + i * c, s.xhat1 + i * c, s.r1[i], w.g1,
                            dx + i * c, g_ln1w, g_ln1b, c);
      for (int64_t l = 0; l < lanes; ++l) {
        float* gi = gi_dst + (s0 + l) * mc;
        for (int64_t k = 0; k < mc; ++k) gi[k] = dx[k][l];
      }
    }
    std::lock_guard<std::mutex> guard(total_lock);
    for (int64_t t = 0; t < offs[14]; ++t) {
      double sum = 0.0;
      for (int64_t l = 0; l < L; ++l) sum += G[t][l];
      total[t] += sum;
    }
  });
  std::vector<at::Tensor> out{grad_in};
  const at::Tensor* like[] = {&ln1_w, &ln1_b, &qkv_w, nullptr, &proj_w,
                              &proj_b, &ln2_w, &ln2_b, &fc1_w, &fc1_b,
                              &fc2_w, &fc2_b, &ln3_w, &ln3_b};
  for (int t = 0; t < 14; ++t) {
    if (t == 3 && !w.bqkv) {
      out.emplace_back();
      continue;
    }
    at::Tensor grad = at::empty(
        t == 3 ? at::IntArrayRef{3 * c} : like[t]->sizes(), words.options());
    float* gp = grad.data_ptr<float>();
    for (int64_t k = 0; k < sizes[t]; ++k)
      gp[k] = static_cast<float>(total[offs[t] + k]);
    out.push_back(grad);
  }
  return out;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("inner_transformer_forward", &inner_transformer_forward,
        "TNT inner transformer and words-to-sentence LayerNorm, fused");
  m.def("inner_transformer_backward", &inner_transformer_backward,
        "Gradients of inner_transformer_forward (recomputes its forward)");
}
