# cmake --install, and the Debian package and release tarball made from it (cpack -G DEB, TGZ;
# scripts/release.sh). Installed: the binary, its man page, the README and docs/.
#
# The package is "supervisor-pid1": Debian's archive has a "supervisor" (supervisord), whose
# files include /usr/share/man/man1/supervisor.1.gz and /usr/share/doc/supervisor/. Ours
# installs /usr/bin/supervisor (not one of theirs), its page in section 8 (system
# administration, like runsv(8) and supervise(8)) and its docs under its own package name, so
# both packages install side by side; with both, `man 8 supervisor` is ours.
include(GNUInstallDirs)
set(SUPERVISOR_PACKAGE_NAME supervisor-pid1)

install(TARGETS supervisor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Debian policy: man pages compressed with gzip -9n (-n: no name or time stamp in it, so the
# package is reproducible).
set(man_gz ${PROJECT_BINARY_DIR}/supervisor.8.gz)
add_custom_command(OUTPUT ${man_gz}
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/man/supervisor.8 > ${man_gz}
  DEPENDS ${PROJECT_SOURCE_DIR}/man/supervisor.8
  COMMENT "Compressing the man page")
add_custom_target(man_page ALL DEPENDS ${man_gz})
install(FILES ${man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

set(doc_dir ${CMAKE_INSTALL_DATADIR}/doc/${SUPERVISOR_PACKAGE_NAME})
install(FILES README.md DESTINATION ${doc_dir})
install(DIRECTORY docs/ DESTINATION ${doc_dir}/docs PATTERN results.json EXCLUDE)
install(DIRECTORY examples/ DESTINATION ${doc_dir}/examples)

set(CPACK_PACKAGE_NAME ${SUPERVISOR_PACKAGE_NAME})
set(CPACK_PACKAGE_VENDOR "supervisor")
set(CPACK_PACKAGE_CONTACT "supervisor maintainers <[email protected]>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "run one application, keep one PID through its restarts, crashes and upgrades")
set(CPACK_PACKAGE_DESCRIPTION
  "supervisor runs one application and stays its parent for life: an init system or a
container runtime holds on to its PID while the application crashes, restarts, upgrades
itself by fork+exec or daemonizes. It tracks every process of the application in a cgroup
and leaves nothing behind. The binary is /usr/bin/supervisor, its manual supervisor(8).")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_SOURCE_GENERATOR "")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(NOT SUPERVISOR_STATIC)
  # The dynamic binary needs glibc (the C++ runtime is linked in).
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()

# The release tarball: supervisor-VERSION-Linux-x86_64.tar.gz, with bin/, share/man, share/doc.
set(CPACK_PACKAGE_FILE_NAME
  "supervisor-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")
if(NOT SUPERVISOR_STATIC)
  string(APPEND CPACK_PACKAGE_FILE_NAME "-dynamic")
endif()
include(CPack)
