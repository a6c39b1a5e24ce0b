# What the Debian packages attestd, attestctl and attest-agent hold besides the binaries (their
# install() rules are beside each target), and CPack's DEB generator: one package per install
# component. scripts/package drives it.
set(ATTEST_SYSTEMD_UNIT_DIR /lib/systemd/system CACHE PATH "Where systemd units are installed")
set(debian ${PROJECT_SOURCE_DIR}/deploy/debian)
set(units ${PROJECT_SOURCE_DIR}/deploy/systemd)

install(FILES ${debian}/attestd.json DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/attestd
        COMPONENT attestd)
install(FILES ${units}/attestd.service DESTINATION ${ATTEST_SYSTEMD_UNIT_DIR} COMPONENT attestd)
install(FILES ${debian}/attest-agent/default DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
        RENAME attest-agent COMPONENT agent)
install(FILES ${units}/attest-agent-host.service ${units}/attest-agent-guest-unlock@.service
        DESTINATION ${ATTEST_SYSTEMD_UNIT_DIR} COMPONENT agent)
install(PROGRAMS ${units}/guest-unlock DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/attest-agent
        COMPONENT agent)

if(NOT ATTEST_PACKAGE)
  return()
endif()

# Debian's policy files: the copyright and the (native package's) changelog, in every package.
set(changelog_gz ${CMAKE_BINARY_DIR}/changelog.gz)
execute_process(COMMAND gzip -9n -c ${debian}/changelog OUTPUT_FILE ${changelog_gz}
                COMMAND_ERROR_IS_FATAL ANY)
foreach(pair attestd:attestd attestctl:attestctl agent:attest-agent)
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 component)
  list(GET pair 1 package)
  install(FILES ${debian}/copyright ${changelog_gz}
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME attest)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "attest maintainers <maintainers@users.noreply.h-seed-69982a20.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL attestd attestctl agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)

set(CPACK_DEBIAN_ATTESTD_PACKAGE_NAME attestd)
# procps: /bin/kill for the unit's ExecReload.
set(CPACK_DEBIAN_ATTESTD_PACKAGE_DEPENDS "adduser, procps")
# luksFormat for volumes with images (volume_dir).
set(CPACK_DEBIAN_ATTESTD_PACKAGE_RECOMMENDS cryptsetup-bin)
set(CPACK_DEBIAN_ATTESTD_PACKAGE_CONTROL_EXTRA
    ${debian}/attestd/conffiles ${debian}/attestd/postinst ${debian}/attestd/prerm
    ${debian}/attestd/postrm)
set(CPACK_COMPONENT_ATTESTD_DESCRIPTION
    "attestation and key release service
attestd measures hypervisor hosts' boot through their TPM, launches
AMD SEV-SNP and Intel TDX guests on the hosts that passed, verifies the
guests' attestation evidence against the tenant's policy, and only then
releases the tenant's disk keys, wrapped for the attested guest alone.
It serves an HTTPS API authenticated with AWS SigV4, over SQLite or
PostgreSQL, and runs as the system user attestd.")

set(CPACK_DEBIAN_ATTESTCTL_PACKAGE_NAME attestctl)
set(CPACK_COMPONENT_ATTESTCTL_DESCRIPTION
    "attestation evidence verifier and attestd client
attestctl verifies AMD SEV-SNP and SEV, Intel TDX and SGX, and TPM 2.0
evidence offline against the vendors' roots, checks tenant and host
policies and signed attestation results, and calls attestd's API as a
tenant or an operator.")

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME attest-agent)
# The TPM device TCTI is loaded at run time by libtss2-tctildr, so shlibdeps cannot see it.
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS libtss2-tcti-device0)
set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS cryptsetup-bin)
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA ${debian}/attest-agent/conffiles)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
    "attestd's host agent and guest key release client
On a hypervisor host, attest-agent enrolls the host's TPM with attestd
and sends it TPM quotes of the measured boot. In a confidential guest,
it obtains the guest's attestation evidence and receives the guest's
disk keys from attestd, to open LUKS volumes.")

include(CPack)
