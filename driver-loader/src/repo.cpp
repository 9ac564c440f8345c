// SPDX-License-Identifier: Apache-2.0
#include "repo.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); } };
struct FileClose { void operator()(FILE* f) const { std::fclose(f); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (!e) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

std::string to_hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

Result<Pkey> read_key(const fs::path& pem, bool is_private) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(pem.c_str(), "r"));
  if (!f) return make_error("cannot read key " + pem.string() + ": " + std::strerror(errno), errno);
  EVP_PKEY* k = is_private ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr)
                           : PEM_read_PUBKEY(f.get(), nullptr, nullptr, nullptr);
  if (!k)
    return make_error(pem.string() + ": not a PEM " + (is_private ? "private" : "public") +
                      " key (" + openssl_error() + ")");
  Pkey key(k);
  if (EVP_PKEY_id(k) != EVP_PKEY_ED25519)
    return make_error(pem.string() + ": not an Ed25519 key");
  return key;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

bool valid_artifact_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name.front() == '.' || !name.ends_with(".ko")) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '+'))
      return false;
  return true;
}

Result<std::vector<IndexEntry>> parse_index(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kIndexHeader)
    return make_error(std::string("index line 1: expected '") + kIndexHeader + "'");
  std::vector<IndexEntry> entries;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const std::string where = "index line " + std::to_string(n) + ": ";
    std::istringstream fields(line);
    IndexEntry e;
    std::string size, extra;
    if (!(fields >> e.sha256 >> size >> e.name) || (fields >> extra))
      return make_error(where + "expected '<sha256> <size> <name>'");
    if (!is_hex64(e.sha256)) return make_error(where + "not a lower-case hex sha256");
    auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), e.size);
    if (ec != std::errc() || p != size.data() + size.size())
      return make_error(where + "bad size '" + size + "'");
    if (!valid_artifact_name(e.name)) return make_error(where + "bad artifact name '" + e.name + "'");
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string format_index(const std::vector<IndexEntry>& entries) {
  std::string out = std::string(kIndexHeader) + "\n";
  for (const auto& e : entries) out += e.sha256 + " " + std::to_string(e.size) + " " + e.name + "\n";
  return out;
}

const IndexEntry* find_entry(const std::vector<IndexEntry>& entries, const std::string& name) {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

Result<std::string> sha256_file(const fs::path& file) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(file.c_str(), "rb"));
  if (!f) return make_error("cannot read " + file.string() + ": " + std::strerror(errno), errno);
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) EVP_DigestUpdate(ctx.get(), buf.data(), n);
  if (std::ferror(f.get())) return make_error("cannot read " + file.string());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return to_hex(md, len);
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

Status generate_key(const fs::path& private_pem, const fs::path& public_pem) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!raw) return make_error("cannot generate an Ed25519 key: " + openssl_error());
  Pkey key(raw);
  {
    const mode_t old = umask(077);  // the private key is for its owner only
    std::unique_ptr<FILE, FileClose> f(std::fopen(private_pem.c_str(), "wx"));
    umask(old);
    if (!f)
      return make_error("cannot create " + private_pem.string() + ": " + std::strerror(errno) +
                        (errno == EEXIST ? " (refusing to overwrite a key)" : ""), errno);
    if (!PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
      return make_error("cannot write " + private_pem.string() + ": " + openssl_error());
  }
  std::unique_ptr<FILE, FileClose> f(std::fopen(public_pem.c_str(), "w"));
  if (!f) return make_error("cannot create " + public_pem.string() + ": " + std::strerror(errno), errno);
  if (!PEM_write_PUBKEY(f.get(), key.get()))
    return make_error("cannot write " + public_pem.string() + ": " + openssl_error());
  return Ok{};
}

Result<std::string> sign(const std::string& data, const fs::path& private_pem) {
  auto key = read_key(private_pem, true);
  if (!key) return key.error();
  MdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1)
    return make_error("cannot sign: " + openssl_error());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return make_error("cannot sign: " + openssl_error());
  sig.resize(len);
  return sig;
}

Status verify(const std::string& data, const std::string& signature, const fs::path& public_pem) {
  auto key = read_key(public_pem, false);
  if (!key) return key.error();
  if (signature.size() != 64)
    return make_error("the signature is " + std::to_string(signature.size()) +
                      " bytes, an Ed25519 signature is 64");
  MdCtx ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1)
    return make_error("cannot verify: " + openssl_error());
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                  signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                                  data.size());
  ERR_clear_error();
  if (rc != 1) return make_error("the signature does not match key " + public_pem.string());
  return Ok{};
}

Status publish(const fs::path& repo_dir, const fs::path& artifact, const fs::path& private_pem) {
  std::error_code ec;
  const fs::path index_path = repo_dir / "index";
  std::vector<IndexEntry> entries;
  if (fs::exists(index_path, ec)) {
    std::ifstream in(index_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_index(text.str());
    if (!parsed) return make_error(index_path.string() + ": " + parsed.error().message);
    entries = std::move(*parsed);
  }
  const std::string name = artifact.filename().string();
  if (!valid_artifact_name(name)) return make_error("bad artifact name '" + name + "'");
  const fs::path dest = repo_dir / name;
  if (fs::absolute(artifact) != fs::absolute(dest)) {
    fs::copy_file(artifact, dest, fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error("cannot copy " + artifact.string() + " to " + dest.string() + ": " + ec.message());
  }
  auto digest = sha256_file(dest);
  if (!digest) return digest.error();
  IndexEntry entry{name, fs::file_size(dest), *digest};
  bool replaced = false;
  for (auto& e : entries)
    if (e.name == name) e = entry, replaced = true;
  if (!replaced) entries.push_back(entry);
  const std::string text = format_index(entries);
  auto sig = sign(text, private_pem);
  if (!sig) return sig.error();
  const std::string& signature = *sig;
  for (auto [path, bytes] : {std::pair<fs::path, const std::string*>{index_path, &text}, {repo_dir / "index.sig", &signature}}) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!out.flush()) return make_error("cannot write " + path.string());
  }
  return Ok{};
}

}  // namespace rtsec::loader
