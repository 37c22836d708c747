# Homebrew formula for oomguard. Checked with `ruby -c` on Linux and built for
# macOS arm64/x86_64 by scripts/macos-build (zig cc, stubs); never `brew
# install`ed on a Mac yet (docs/INSTALL.md, "What was verified").
#
# Release scheme: `url` is the tarball scripts/dist makes from the release tag
# (reproducible: the same commit gives the same bytes), uploaded as the GitHub
# release asset; `scripts/dist --update-formula` writes its sha256 and version
# here (docs/INSTALL.md, "Releasing"). Until v0.1.0 is tagged and its tarball
# uploaded, the sha256 is all zeros: brew refuses the download, nothing else.
#
#   brew install --build-from-source ./Formula/oomguard.rb
#   brew test oomguard
class Oomguard < Formula
  desc "Tells whether a local LLM fits in memory and diagnoses out-of-memory crashes"
  homepage "https://github.com/oomguard/oomguard"
  url "https://github.com/oomguard/oomguard/releases/download/v0.1.0/oomguard-0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "MIT"
  head "https://github.com/oomguard/oomguard.git", branch: "main"

  depends_on "cmake" => :build
  depends_on "pkgconf" => [:build, :test]
  depends_on "jansson"

  uses_from_macos "python" => :build # writes oomguard(1) and the completions from the option table
  uses_from_macos "curl" # headers at build time; libcurl is opened with dlopen for remote models
  uses_from_macos "sqlite"

  def install
    system "cmake", "-S", ".", "-B", "build", "-DOG_BUILD_TESTS=OFF", "-DOG_BUILD_BENCH=OFF",
           *std_cmake_args
    system "cmake", "--build", "build"
    system "cmake", "--install", "build"
  end

  test do
    assert_equal "oomguard #{version}", shell_output("#{bin}/oomguard --version").strip

    # Offline and independent of this Mac: a model of the built-in catalog on a
    # machine preset. An 8B Q4_K_M fits a 48 GB M4 Pro; a 70B Q8_0 does not (exit 1).
    fits = JSON.parse(shell_output("#{bin}/oomguard fit qwen3-8b --machine m4-pro-48gb -c 8192 --json"))
    assert_equal "fits", fits["verdict"]
    assert_operator fits["memory"]["total_bytes"], :>, 4 * 1024 * 1024 * 1024
    big = shell_output("#{bin}/oomguard fit llama3.3-70b --quant Q8_0 --machine m4-pro-48gb --json", 1)
    assert_equal "does not fit", JSON.parse(big)["verdict"]

    # bad input: a clear message naming the file, exit code 2
    assert_match "missing.gguf", shell_output("#{bin}/oomguard inspect missing.gguf 2>&1", 2)
    assert_path_exists man1/"oomguard.1"
    assert_path_exists zsh_completion/"_oomguard"

    # the library: the example against the installed headers and pkg-config file
    flags = shell_output("pkgconf --cflags --libs oomguard").split
    system ENV.cc, "-std=c11", doc/"examples/fit_check.c", *flags, "-o", "fit_check"
    assert_match "usage", shell_output("./fit_check 2>&1", 2)
  end
end
