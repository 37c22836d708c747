# Installation and packaging (issue 10; docs/INSTALL.md).
#
#   cmake --install build [--prefix DIR]   binary, liboomguard (static + shared),
#       headers, pkg-config file, CMake package (find_package(oomguard)), oomguard(1), bash/zsh/fish completions, data,
#       the JSON schemas and the library example
#   cmake --build build --target uninstall  removes what install_manifest.txt lists
#
# The man page and the completions are generated at build time from the option
# table the parser uses (`oomguard __spec`, read by man/gen_from_table.py), so
# they follow the commands as they change.

# --- pkg-config ---------------------------------------------------------------
# Requires.private / Libs.private come from what the library targets link, so a
# dependency added by any engineer (PkgConfig::SQLITE3, PkgConfig::CURL, -ldl)
# lands in the .pc file without editing this file.
set(OG_PC_REQUIRES "")
set(OG_PC_LIBS "")
foreach(tgt oomguard_objects oomguard_static oomguard_shared)
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(deps ${tgt} ${prop})
    if(NOT deps)
      continue()
    endif()
    foreach(dep ${deps})
      if(dep MATCHES "^PkgConfig::(.+)$")
        set(prefix "${CMAKE_MATCH_1}")
        set(mod "${${prefix}_MODULE_NAME}")
        if(NOT mod)
          string(TOLOWER "${prefix}" mod)
        endif()
        list(APPEND OG_PC_REQUIRES "${mod}")
        list(APPEND OG_PC_IMPORTED "${prefix}=${mod}")
      elseif(dep STREQUAL "Threads::Threads")
        if(CMAKE_THREAD_LIBS_INIT)
          list(APPEND OG_PC_LIBS "${CMAKE_THREAD_LIBS_INIT}")
        endif()
      elseif(dep MATCHES "^[A-Za-z0-9_+.-]+$" AND NOT TARGET ${dep})
        list(APPEND OG_PC_LIBS "-l${dep}")
      endif()
    endforeach()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES OG_PC_REQUIRES)
list(REMOVE_DUPLICATES OG_PC_IMPORTED)
list(REMOVE_DUPLICATES OG_PC_LIBS)
list(JOIN OG_PC_REQUIRES ", " OG_PC_REQUIRES_PRIVATE)
list(JOIN OG_PC_LIBS " " OG_PC_LIBS_PRIVATE)

# Relocatable: the prefix is found from the .pc file's own place, so
# `cmake --install build --prefix DIR` gives a working file in any DIR.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(OG_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(OG_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(OG_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH rel "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig"
       "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(OG_PC_PREFIX "\${pcfiledir}/${rel}")
  set(OG_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(OG_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/oomguard.pc.in ${PROJECT_BINARY_DIR}/oomguard.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/oomguard.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- CMake package: find_package(oomguard) -> oomguard::oomguard (shared),
# oomguard::oomguard_static; relocatable, beside the pkg-config file. The
# config finds the same pkg-config modules the .pc file requires.
include(CMakePackageConfigHelpers)
set(OG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/oomguard)
set_target_properties(oomguard_shared PROPERTIES EXPORT_NAME oomguard)
set_target_properties(oomguard_static PROPERTIES EXPORT_NAME oomguard_static)
install(EXPORT oomguardTargets NAMESPACE oomguard:: DESTINATION ${OG_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/oomguardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/oomguardConfig.cmake INSTALL_DESTINATION ${OG_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/oomguardConfigVersion.cmake
  COMPATIBILITY SameMinorVersion) # 0.x: a minor release may change the API
install(FILES ${PROJECT_BINARY_DIR}/oomguardConfig.cmake
  ${PROJECT_BINARY_DIR}/oomguardConfigVersion.cmake DESTINATION ${OG_CMAKE_DIR})

# --- man page and shell completions, from --help --------------------------------
find_package(Python3 COMPONENTS Interpreter)
# Where each shell looks (relative to the prefix). Homebrew and /usr/local use
# zsh/site-functions; Debian's zsh searches zsh/vendor-completions (debian/rules).
set(OG_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "bash completion directory")
set(OG_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/site-functions" CACHE STRING
    "zsh completion directory")
set(OG_FISH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d" CACHE STRING
    "fish completion directory")
option(OG_DOCS "Generate oomguard(1) and shell completions from --help (needs Python 3)" ON)
if(OG_DOCS AND Python3_Interpreter_FOUND AND NOT OG_FUZZ) # fuzz builds need no docs
  set(OG_DOCS_DIR ${PROJECT_BINARY_DIR}/docs-generated)
  set(OG_DOCS_OUT ${OG_DOCS_DIR}/oomguard.1 ${OG_DOCS_DIR}/oomguard.bash ${OG_DOCS_DIR}/_oomguard
      ${OG_DOCS_DIR}/oomguard.fish)
  add_custom_command(OUTPUT ${OG_DOCS_OUT}
    COMMAND ${CMAKE_COMMAND} -E env NO_COLOR=1 ASAN_OPTIONS=detect_leaks=0
      ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/man/gen_from_table.py
      --binary $<TARGET_FILE:oomguard> --version ${PROJECT_VERSION}
      --template ${PROJECT_SOURCE_DIR}/man/oomguard.1.in
      --changelog ${PROJECT_SOURCE_DIR}/CHANGELOG.md --outdir ${OG_DOCS_DIR}
      --docdir ${CMAKE_INSTALL_FULL_DOCDIR} --datadir ${CMAKE_INSTALL_FULL_DATADIR}/oomguard
    DEPENDS oomguard ${PROJECT_SOURCE_DIR}/man/gen_from_table.py
      ${PROJECT_SOURCE_DIR}/man/oomguard.1.in ${PROJECT_SOURCE_DIR}/CHANGELOG.md
    COMMENT "Generating oomguard(1) and bash/zsh/fish completions from --help"
    VERBATIM)
  add_custom_target(oomguard_docs ALL DEPENDS ${OG_DOCS_OUT})
  install(FILES ${OG_DOCS_DIR}/oomguard.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${OG_DOCS_DIR}/oomguard.bash RENAME oomguard DESTINATION ${OG_BASH_COMPLETION_DIR})
  install(FILES ${OG_DOCS_DIR}/_oomguard DESTINATION ${OG_ZSH_COMPLETION_DIR})
  install(FILES ${OG_DOCS_DIR}/oomguard.fish DESTINATION ${OG_FISH_COMPLETION_DIR})
elseif(OG_DOCS AND NOT OG_FUZZ)
  message(WARNING "Python 3 not found: oomguard(1) and the shell completions are not built")
endif()

# --- data, schemas, the library guide and example -------------------------------
if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/data)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/oomguard)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/schema/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/schema
        FILES_MATCHING PATTERN "*.json" PATTERN "*.md")
install(FILES ${PROJECT_SOURCE_DIR}/docs/LIBRARY.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/examples/fit_check.c ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# --- uninstall ------------------------------------------------------------------
if(NOT TARGET uninstall)
  add_custom_target(uninstall
    COMMAND ${CMAKE_COMMAND} -DMANIFEST=${PROJECT_BINARY_DIR}/install_manifest.txt
      -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
    COMMENT "Removing the files listed in install_manifest.txt"
    VERBATIM)
endif()
