# SmmusimLibrary.cmake - the libraries as they are built and installed.
#
# smmusim_add_library(<target>
#   OUTPUT_NAME <name>        file name: lib<name>.a and lib<name>.so.1.0.0
#   EXPORT_NAME <name>        smmusim::<name> (shared), smmusim::<name>_static
#   SOURCES <file>...
#   [INCLUDE_DIR <dir>]       public headers, in the build tree
#   [PRIVATE_INCLUDE <dir>...]
#   [OPTIONS <compile option>...]
#   [DEPS <target>...]        our own libraries this one needs (public): the
#                             static variant links <dep>, the shared one
#                             <dep>_shared
#   [PUBLIC_LIBS <lib>...]    outside libraries users need too (the same for
#                             both variants)
#   [PRIVATE_LIBS <lib>...]   outside libraries only the library itself needs
#   [EXPORT <set>])           export set (default smmusimTargets)
#
# The sources compile once, into the OBJECT library <target>_objects (PIC),
# and make two libraries: <target> (STATIC: the name the rest of the build
# links, unchanged) and <target>_shared (SHARED, VERSION 1.0.0 SOVERSION 1).
# Both go to one export set (cmake/smmusimConfig.cmake.in includes them).
# Installed headers live under <includedir>/smmusim, which is what users put
# on their include path (pkg-config Cflags, the imported targets).
include_guard(GLOBAL)
include(GNUInstallDirs)

set(SMMUSIM_INSTALL_INCLUDE_ROOT ${CMAKE_INSTALL_INCLUDEDIR}/smmusim)
set(SMMUSIM_SOVERSION 1)

function(smmusim_add_library target)
  cmake_parse_arguments(A "" "OUTPUT_NAME;EXPORT_NAME;INCLUDE_DIR;EXPORT"
    "SOURCES;PRIVATE_INCLUDE;OPTIONS;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  if(NOT A_EXPORT)
    set(A_EXPORT smmusimTargets)
  endif()
  set(objects ${target}_objects)
  add_library(${objects} OBJECT ${A_SOURCES})
  set_target_properties(${objects} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${objects} PRIVATE ${A_OPTIONS})
  if(A_PRIVATE_INCLUDE)
    target_include_directories(${objects} PRIVATE ${A_PRIVATE_INCLUDE})
  endif()
  # Usage requirements (include directories, definitions) of what it uses.
  target_link_libraries(${objects} PUBLIC ${A_DEPS} ${A_PUBLIC_LIBS} PRIVATE ${A_PRIVATE_LIBS})
  if(A_INCLUDE_DIR)
    target_include_directories(${objects} PUBLIC ${A_INCLUDE_DIR})
  endif()

  add_library(${target} STATIC $<TARGET_OBJECTS:${objects}>)
  add_library(${target}_shared SHARED $<TARGET_OBJECTS:${objects}>)
  set(shared_deps)
  foreach(d ${A_DEPS})
    list(APPEND shared_deps ${d}_shared)
  endforeach()
  target_link_libraries(${target} PUBLIC ${A_DEPS} ${A_PUBLIC_LIBS} PRIVATE ${A_PRIVATE_LIBS})
  target_link_libraries(${target}_shared PUBLIC ${shared_deps} ${A_PUBLIC_LIBS}
    PRIVATE ${A_PRIVATE_LIBS})
  foreach(t ${target} ${target}_shared)
    if(A_INCLUDE_DIR)
      target_include_directories(${t} PUBLIC
        $<BUILD_INTERFACE:${A_INCLUDE_DIR}>
        $<INSTALL_INTERFACE:${SMMUSIM_INSTALL_INCLUDE_ROOT}>)
    else()
      target_include_directories(${t} INTERFACE
        $<INSTALL_INTERFACE:${SMMUSIM_INSTALL_INCLUDE_ROOT}>)
    endif()
    set_target_properties(${t} PROPERTIES OUTPUT_NAME ${A_OUTPUT_NAME}
      POSITION_INDEPENDENT_CODE ON)
  endforeach()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${A_EXPORT_NAME}_static)
  # $ORIGIN: a library finds the others beside it wherever the prefix is.
  set_target_properties(${target}_shared PROPERTIES EXPORT_NAME ${A_EXPORT_NAME}
    VERSION ${PROJECT_VERSION} SOVERSION ${SMMUSIM_SOVERSION}
    INSTALL_RPATH "$ORIGIN")
  # A shared library must say everything it needs (the sanitizers' runtimes
  # are the program's business, so not there).
  if(NOT SMMUSIM_SANITIZE AND NOT SMMUSIM_FUZZ)
    target_link_options(${target}_shared PRIVATE -Wl,--no-undefined)
  endif()

  install(TARGETS ${target} ${target}_shared EXPORT ${A_EXPORT}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# A pkg-config file from cmake/pkgconfig/<name>.pc.in, written at install
# time so that its prefix is the one given to `cmake --install --prefix`.
# The template may use @PC_PREFIX@, @PC_LIBDIR@, @PC_INCLUDEDIR@ and
# @PC_VERSION@; ${prefix} and friends are left to pkg-config.
function(smmusim_install_pkgconfig name)
  set(template ${PROJECT_SOURCE_DIR}/cmake/pkgconfig/${name}.pc.in)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(libdir "${CMAKE_INSTALL_LIBDIR}")
    set(pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  else()
    set(libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
    set(pcdir "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  endif()
  if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(incdir "${CMAKE_INSTALL_INCLUDEDIR}")
  else()
    set(incdir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  string(REPLACE "$" "\\$" libdir_esc "${libdir}")
  string(REPLACE "$" "\\$" incdir_esc "${incdir}")
  install(CODE "
    set(PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    set(PC_LIBDIR \"${libdir_esc}\")
    set(PC_INCLUDEDIR \"${incdir_esc}\")
    set(PC_VERSION \"${PROJECT_VERSION}\")
    set(_pc \"\$ENV{DESTDIR}${pcdir}/${name}.pc\")
    message(STATUS \"Installing: \${_pc}\")
    configure_file(\"${template}\" \"\${_pc}\" @ONLY)
    list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${_pc}\")
  ")
endfunction()
