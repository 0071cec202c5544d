#!/usr/bin/env bash
# The library comparison behind Vmm's metrics (issue 17): the same workload (Driver.cs) Native-AOT-published five
# ways, and for each its trim/AOT warnings, binary size, bytes allocated a scrape, time a scrape and resident memory:
#   baseline          no metrics at all (a socket with a fixed answer), the reference for size and memory
#   own               Vmm's MetricsWriter + MetricsServer (hosting/Metrics), plain Interlocked counters
#   own-httplistener  Vmm's writer served by the SDK's HttpListener instead of MetricsServer
#   prometheus-net    prometheus-net 8.2.1, its registry and MetricServer
#   opentelemetry     System.Diagnostics.Metrics + OpenTelemetry.Exporter.Prometheus.HttpListener 1.20.1-beta.1
# Every variant references Vmm.Hosting and logs a line with NLog, as the daemons do, so that neither is charged to a
# variant. The projects are made in a temporary folder (nothing is added to the repository's build); packages come
# from NuGet through dotnet restore.
# Usage: tools/metrics-compare/run.sh   (a few minutes: five AOT publishes)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/vmm-metrics-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

declare -A sources=([baseline]=Baseline.cs [own]=Own.cs [own-httplistener]=OwnHttpListener.cs [prometheus-net]=PrometheusNet.cs [opentelemetry]=OpenTelemetry.cs)
declare -A extra=([own]="<Compile Include=\"$here/OwnSource.cs\" />" [own-httplistener]="<Compile Include=\"$here/OwnSource.cs\" />")
declare -A packages=(
    [prometheus-net]='<PackageReference Include="prometheus-net" Version="8.2.1" />'
    [opentelemetry]='<PackageReference Include="OpenTelemetry.Exporter.Prometheus.HttpListener" Version="1.20.1-beta.1" />'
)

printf '| variant | AOT/trim warnings | binary bytes | +bytes over baseline | exposition bytes | allocated a scrape | ms a scrape | RSS KiB after 110 scrapes |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
base_size=0
for variant in baseline own own-httplistener prometheus-net opentelemetry; do
    dir=$work/$variant
    mkdir -p "$dir"
    cat >"$dir/compare.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <LangVersion>latest</LangVersion>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <AssemblyName>compare</AssemblyName>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
    <OptimizationPreference>Speed</OptimizationPreference>
    <StripSymbols>true</StripSymbols>
    <ServerGarbageCollection>false</ServerGarbageCollection>
    <TrimmerSingleWarn>false</TrimmerSingleWarn>
    <NoWarn>\$(NoWarn);CS1591</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="$here/Driver.cs" />
    <Compile Include="$here/${sources[$variant]}" />
    ${extra[$variant]:-}
    <ProjectReference Include="$repo/hosting/Vmm.Hosting.csproj" />
    ${packages[$variant]:-}
  </ItemGroup>
</Project>
XML
    if ! dotnet publish "$dir/compare.csproj" -c Release -r linux-x64 --nologo -o "$dir/out" >"$dir/build.log" 2>&1; then
        echo "| $variant | build failed: $(grep -m1 -E 'error' "$dir/build.log" | cut -c1-150) | | | | | | |"
        continue
    fi
    warnings=$( { grep -oE 'warning IL[0-9]+:[^[]*' "$dir/build.log" || true; } | sort -u | wc -l)
    size=$(stat -c %s "$dir/out/compare")
    [[ $variant == baseline ]] && base_size=$size
    if ! figures=$(timeout 120 "$dir/out/compare" 2>/dev/null | tail -1); then
        echo "| $variant | $warnings | $size | $((size - base_size)) | run failed | | | |"
        continue
    fi
    IFS=$'\t' read -r _ bytes alloc ms rss <<<"$figures"
    echo "| $variant | $warnings | $size | $((size - base_size)) | $bytes | $alloc | $ms | $rss |"
    if (( warnings > 0 )); then grep -oE 'warning IL[0-9]+:[^[]*' "$dir/build.log" | sort -u | head -5 | sed 's/^/    /' >&2; fi
done
