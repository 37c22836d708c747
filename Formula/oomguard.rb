# Homebrew formula for oomguard. Not yet run on macOS (see docs/INSTALL.md):
# checked with `ruby -c` on Linux only. The release tarball and its sha256 are
# placeholders until the first release is published; tests/cli_version.sh
# checks that the version in the url is the CMake project version.
#
#   brew install --build-from-source ./Formula/oomguard.rb
#   brew test oomguard
class Oomguard < Formula
  desc "Run large language models locally without running out of memory"
  homepage "https://github.com/oomguard/oomguard"
  url "https://github.com/oomguard/oomguard/releases/download/v0.1.0/oomguard-0.1.0.tar.gz"
  # Replace with the release tarball's checksum when it is published.
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  head "https://github.com/oomguard/oomguard.git", branch: "main"
  # license: the project has not chosen one yet (debian/copyright says the same)

  depends_on "check" => :test # the Check unit-test library (make test / ctest)
  depends_on "cmake" => :build
  depends_on "pkgconf" => :build # pkg-config
  depends_on "jansson"

  uses_from_macos "python" => :build # generates oomguard(1) and the completions from the option table
  uses_from_macos "curl"
  uses_from_macos "sqlite"

  def install
    system "cmake", "-S", ".", "-B", "build", "-DOG_BUILD_TESTS=OFF", *std_cmake_args
    system "cmake", "--build", "build"
    system "cmake", "--install", "build"
    # cmake installs: bin/oomguard, lib/liboomguard.{a,dylib}, include/oomguard,
    # lib/pkgconfig/oomguard.pc, share/man/man1/oomguard.1,
    # share/{bash-completion/completions,zsh/site-functions,fish/vendor_completions.d},
    # share/doc/oomguard/{LIBRARY.md,schema,examples}
  end

  test do
    assert_equal "oomguard #{version}", shell_output("#{bin}/oomguard --version").strip
    assert_match "inspect", shell_output("#{bin}/oomguard --help")
    # bad input: a clear message naming the file, exit code 2
    assert_match "missing.gguf", shell_output("#{bin}/oomguard inspect missing.gguf 2>&1", 2)
    assert_path_exists man1/"oomguard.1"
    assert_path_exists bash_completion/"oomguard"
    assert_path_exists zsh_completion/"_oomguard"
    assert_path_exists fish_completion/"oomguard.fish"

    # the library: build the example against the installed headers and pkg-config file
    flags = shell_output("pkgconf --cflags --libs oomguard").split
    system ENV.cc, "-std=c11", doc/"examples/fit_check.c", *flags, "-o", "fit_check"
    assert_match "usage", shell_output("./fit_check 2>&1", 2)
  end
end
